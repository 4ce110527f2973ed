" rrag#context: :RragContext in Vim — what the next request would hand the model: each item
" with its token cost, packing mode and why it was chosen, in a popup; `l` puts the items in the
" quickfix list (pinning and excluding are Neovim's). Lines are shaped by the host.

let s:last = {}

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
  let view = {'popup': popup, 'done': 0}
  let s:last = view
  let h = {}
  function! h.on_result(result, ev) closure
    let view.done = 1
    let view.result = a:result
    let view.sources = a:ev.view.sources
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
  function! h.list() closure
    if empty(get(view, 'sources', []))
      return rrag#util#warn('rrag: the context has no items yet')
    endif
    call rrag#popup#close(view.popup)
    call rrag#util#quickfix('rrag context', view.sources)
  endfunction
  call rrag#popup#map(popup, 'l', h.list)
  let view.id = rrag#channel#request('context', ctx, h)
  if !view.id
    call rrag#popup#close(popup)
  endif
endfunction
