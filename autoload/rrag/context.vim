" rrag#context: :RragContext in Vim — what the next request would hand the model: each item
" with its token cost, packing mode and why it was chosen, then the best items that did not fit
" (cost and score parts), in a popup; `l` puts the items in the quickfix list, a digit 1-9 pins
" that item that did not fit and recomputes (it is packed then; pins last for the session's
" :RragContext requests). Lines are shaped by the host, from the body Neovim shows too.

let s:last = {}
let s:pinned = {}  " id -> name: pinned by a digit key

function! rrag#context#last() abort
  return s:last
endfunction

function! rrag#context#open(range, line1, line2, query) abort
  let ctx = rrag#here(a:range, a:line1, a:line2)
  if !rrag#need_file(ctx, ':RragContext')
    return
  endif
  if trim(a:query) !=# ''
    let ctx.query = trim(a:query)
  endif
  if !empty(s:last)
    call rrag#popup#close(s:last.popup)
  endif
  let popup = rrag#popup#open({'title': 'rrag: context', 'status': 'ranking…',
        \ 'filetype': 'rrag-context'})
  let view = {'popup': popup, 'done': 0, 'ctx': ctx}
  let s:last = view
  let keys = {}  " kept off the view: rrag#state() encodes the view as JSON
  function! keys.list() closure
    if empty(get(view, 'sources', []))
      return rrag#util#warn('rrag: the context has no items yet')
    endif
    call rrag#popup#close(view.popup)
    call rrag#util#quickfix('rrag context', view.sources)
  endfunction
  call rrag#popup#map(popup, 'l', keys.list)
  for n in range(1, 9)
    call rrag#popup#map(popup, string(n), function('s:pin', [view, n]))
  endfor
  call s:request(view)
endfunction

function! s:pin(view, n) abort
  let left = get(a:view, 'left_out', [])
  if a:n > len(left)
    return rrag#util#warn('rrag: no item ' . a:n . ' among those that did not fit')
  endif
  let s:pinned[left[a:n - 1].id] = left[a:n - 1].name
  call s:request(a:view)
endfunction

function! s:request(view) abort
  let view = a:view
  let view.done = 0
  let view.ctx.pinned = keys(s:pinned)
  call rrag#popup#set_status(view.popup, 'ranking…')
  let h = {}
  function! h.on_result(result, ev) closure
    let view.done = 1
    let view.result = a:result
    let view.sources = a:ev.view.sources
    let view.left_out = a:ev.view.left_out
    call rrag#popup#set_lines(view.popup, a:ev.view.lines)
    call rrag#popup#set_status(view.popup, a:ev.view.meta)
  endfunction
  function! h.on_error(err, ev) closure
    let view.done = 1
    let view.error = a:err
    call rrag#util#error(a:err.text)
    call rrag#popup#set_status(view.popup, 'failed')
  endfunction
  function! h.on_drop(reason, ev) closure
    let view.done = 1
    let view.dropped = a:reason
    call rrag#popup#set_status(view.popup, 'stale: ' . a:reason)
  endfunction
  let view.id = rrag#channel#request('context', view.ctx, h)
  if !view.id
    call rrag#popup#close(view.popup)
  endif
endfunction
