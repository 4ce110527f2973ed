" rrag#upgrade: :RragUpgrade in Vim — what a dependency's new version breaks in this workspace.
" The sites fill a quickfix list; K on an entry opens a popup beside it with the change, the
" old and the new signature and the new version's docs; F asks the model for a fix of the
" site's item (the refactor popup). The entries and the popup's lines come from the host
" (python/rrag/bridge/upgrade_view.py), the same as Neovim's float.

let s:last = {}
let s:popup = 0

function! rrag#upgrade#last() abort
  return extend(copy(s:last), {'popup': s:popup})
endfunction

" args: '' (the lock change the index saw), 'CRATE', or 'CRATE FROM TO'.
function! rrag#upgrade#run(args) abort
  let words = split(trim(a:args))
  if index([0, 1, 3], len(words)) < 0
    return rrag#util#error('rrag: :RragUpgrade takes no argument, a crate, or a crate and two '
          \ . 'versions (:RragUpgrade semver 0.9.0 1.0.14)')
  endif
  let params = {'path': rrag#file_or_cwd(), 'crate': get(words, 0, ''),
        \ 'from': get(words, 1, ''), 'to': get(words, 2, '')}
  let view = {'done': 0}
  let s:last = view
  let h = {}
  function! h.on_result(result, ev) closure
    let view.done = 1
    let view.result = a:result
    let entries = a:result.view.entries
    if empty(entries)
      return rrag#util#notify(printf('rrag: %s %s -> %s breaks nothing the index can see '
            \ . '(%d API changes)', a:result.crate, a:result.from, a:result.to,
            \ len(a:result.changes)))
    endif
    call setqflist([], ' ', {'title': a:result.view.title, 'items': map(copy(entries),
          \ {_, e -> {'filename': e.file, 'lnum': e.lnum, 'col': 1, 'text': e.text}})})
    botright copen
    nnoremap <buffer> <silent> <nowait> K :call rrag#upgrade#show(line('.'))<CR>
    nnoremap <buffer> <silent> <nowait> F :call rrag#upgrade#fix(line('.'))<CR>
  endfunction
  function! h.on_error(err, ev) closure
    let view.done = 1
    let view.error = a:err
    call rrag#util#error(a:err.text)
  endfunction
  let view.id = rrag#channel#request('upgrade', params, h)
endfunction

" The popup of the list's entry a:index (1-based), beside the cursor; its id, or 0.
function! rrag#upgrade#show(index) abort
  let entries = get(get(get(s:last, 'result', {}), 'view', {}), 'entries', [])
  if a:index < 1 || a:index > len(entries)
    return 0
  endif
  let detail = entries[a:index - 1].detail
  if s:popup && rrag#popup#valid(s:popup)
    call rrag#popup#close(s:popup)
  endif
  let s:popup = rrag#popup#open({'title': 'rrag upgrade', 'anchor': 'cursor',
        \ 'width': min([90, &columns - 8]), 'height': min([len(detail), 30])})
  call rrag#popup#set_lines(s:popup, detail)
  return s:popup
endfunction

" F: the model's fix of entry a:index — the refactor of the site's item with both versions'
" definitions in its instruction, shown as the usual diff popup (a accepts, r rejects).
function! rrag#upgrade#fix(index) abort
  let entries = get(get(get(s:last, 'result', {}), 'view', {}), 'entries', [])
  if a:index < 1 || a:index > len(entries)
    return
  endif
  let fix = entries[a:index - 1].fix
  execute 'cc' a:index
  call rrag#refactor#start(2, fix.start, fix.end, fix.instruction)
endfunction
