" rrag#buffers: the unsaved Rust buffers a request carries (protocol:
" python/rrag/bridge/buffers.py). Every modified Rust buffer is listed as {path, tick}; its text
" goes along only when its changedtick moved since this host last got it. rrag#buffers#reset()
" runs when a new host starts.

let s:sent = {}  " bufnr -> changedtick whose text the running host has

function! rrag#buffers#reset() abort
  let s:sent = {}
endfunction

" The 'buffers' field of a request: modified, loaded buffers whose file ends in .rs.
function! rrag#buffers#collect() abort
  let out = []
  for info in getbufinfo({'bufloaded': 1, 'bufmodified': 1})
    if info.name !~# '\.rs$'
      continue
    endif
    let tick = getbufvar(info.bufnr, 'changedtick')
    let entry = {'path': fnamemodify(info.name, ':p'), 'tick': tick}
    if get(s:sent, info.bufnr, -1) != tick
      let entry.text = join(getbufline(info.bufnr, 1, '$'), "\n") . "\n"
      let s:sent[info.bufnr] = tick
    endif
    call add(out, entry)
  endfor
  return out
endfunction
