" rrag#view: the popup of every command the protocol gives a generic view
" (python/rrag/protocol.py Command; the table is autoload/rrag/methods.vim).
"
" The host shapes the whole view (python/rrag/bridge/views.py): this only opens a popup, sends
" the request about the cursor (the range, the command's arguments) and shows the lines; `l`
" puts the view's jump targets in the quickfix list. Neovim shows the same view in a float
" (lua/rrag/ui/view.lua).

let s:last = {}

function! rrag#view#last() abort
  return s:last
endfunction

function! rrag#view#run(name, range, line1, line2, args) abort
  let spec = filter(copy(rrag#methods#commands()), {_, c -> c.name ==# a:name})[0]
  let ctx = rrag#here(a:range, a:line1, a:line2)
  if !rrag#need_file(ctx, ':' . a:name)
    return
  endif
  if spec.arg !=# ''
    let ctx[spec.arg] = trim(a:args)
  endif
  if !empty(s:last)
    call rrag#popup#close(s:last.popup)
  endif
  let popup = rrag#popup#open({'title': 'rrag: ' . spec.method, 'status': 'asking the engine…'})
  let view = {'popup': popup, 'done': 0, 'sources': []}
  let s:last = view
  let keys = {}  " kept off the view: rrag#state() encodes the view as JSON
  function! keys.list() closure
    if empty(view.sources)
      return rrag#util#warn('rrag: this view has nothing to list')
    endif
    call rrag#popup#close(view.popup)
    call rrag#util#quickfix('rrag ' . spec.method, view.sources)
  endfunction
  call rrag#popup#map(popup, 'l', keys.list)
  let h = {}
  function! h.on_result(result, ev) closure
    let view.done = 1
    let view.result = a:result
    let view.sources = get(a:ev.view, 'sources', [])
    call rrag#popup#set_lines(view.popup, a:ev.view.lines)
    call rrag#popup#set_status(view.popup, get(a:ev.view, 'meta', 'done'))
  endfunction
  function! h.on_error(err, ev) closure
    let view.done = 1
    let view.error = a:err
    call rrag#util#error(a:err.text)
    call rrag#popup#set_status(view.popup, 'failed')
  endfunction
  let view.id = rrag#channel#request(spec.method, ctx, h)
  if !view.id
    call rrag#popup#close(view.popup)
  endif
endfunction
