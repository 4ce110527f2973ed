" rrag#popup: the popup windows of the Vim 9 front end (Neovim's floats).
"
" A popup cannot take the cursor, so its keys come through a normal-mode filter that consumes
" only the keys the popup lists (q and <Esc> close, <C-f>/<C-b> and <C-e>/<C-y> scroll, plus
" e.g. a/r for a refactor); every other key reaches the buffer as usual.

let s:views = {}  " popup id -> {keys: {key: Funcref}, on_close: Funcref}

function! s:filter(id, key) abort
  let view = get(s:views, a:id, {})
  if empty(view)
    return 0
  endif
  if has_key(view.keys, a:key)
    call view.keys[a:key]()
    return 1
  endif
  if a:key ==# 'q' || a:key ==# "\<Esc>"
    call popup_close(a:id)
    return 1
  endif
  let step = {"\<C-f>": 10, "\<C-b>": -10, "\<C-e>": 1, "\<C-y>": -1}
  if has_key(step, a:key)
    call rrag#popup#scroll(a:id, step[a:key])
    return 1
  endif
  return 0
endfunction

function! s:closed(id, result) abort
  let view = remove(s:views, a:id)
  if has_key(view, 'on_close')
    call view.on_close()
  endif
endfunction

" opts: title, status, anchor ('editor' | 'cursor'), width, height. Returns the popup id.
function! rrag#popup#open(opts) abort
  let width = get(a:opts, 'width', min([100, &columns - 8]))
  let height = get(a:opts, 'height', max([5, &lines / 2]))
  let options = {'title': s:title(get(a:opts, 'title', 'rrag'), get(a:opts, 'status', '')),
        \ 'border': [], 'padding': [0, 1, 0, 1], 'minwidth': width, 'maxwidth': width,
        \ 'minheight': min([5, height]), 'maxheight': height, 'wrap': 1, 'scrollbar': 1,
        \ 'filter': function('s:filter'), 'filtermode': 'n', 'mapping': 1,
        \ 'callback': function('s:closed'), 'zindex': 100}
  if get(a:opts, 'anchor', 'editor') ==# 'cursor'
    call extend(options, {'line': 'cursor+1', 'col': 'cursor', 'pos': 'topleft'})
  else
    call extend(options, {'pos': 'center'})
  endif
  let id = popup_create([''], options)
  let s:views[id] = {'keys': {}, 'title': get(a:opts, 'title', 'rrag')}
  call setbufvar(winbufnr(id), '&filetype', get(a:opts, 'filetype', 'markdown'))
  return id
endfunction

function! s:title(title, status) abort
  return ' ' . a:title . (a:status ==# '' ? '' : ' — ' . a:status) . ' '
endfunction

function! rrag#popup#valid(id) abort
  return has_key(s:views, a:id)
endfunction

function! rrag#popup#map(id, key, Fn) abort
  if has_key(s:views, a:id)
    let s:views[a:id].keys[a:key] = a:Fn
  endif
endfunction

function! rrag#popup#on_close(id, Fn) abort
  if has_key(s:views, a:id)
    let s:views[a:id].on_close = a:Fn
  endif
endfunction

function! rrag#popup#set_status(id, status) abort
  if has_key(s:views, a:id)
    call popup_setoptions(a:id, {'title': s:title(s:views[a:id].title, a:status)})
  endif
endfunction

function! rrag#popup#set_filetype(id, filetype) abort
  if has_key(s:views, a:id)
    call setbufvar(winbufnr(a:id), '&filetype', a:filetype)
  endif
endfunction

function! rrag#popup#lines(id) abort
  return has_key(s:views, a:id) ? getbufline(winbufnr(a:id), 1, '$') : []
endfunction

function! rrag#popup#set_lines(id, lines) abort
  if has_key(s:views, a:id)
    call popup_settext(a:id, empty(a:lines) ? [''] : a:lines)
    call popup_setoptions(a:id, {'firstline': 1})
  endif
endfunction

" Append streamed text: it continues the last line; newlines in it start new lines.
function! rrag#popup#append(id, text) abort
  if !has_key(s:views, a:id)
    return
  endif
  let buf = winbufnr(a:id)
  let parts = split(a:text, "\n", 1)
  let last = getbufline(buf, '$')[0]
  call setbufline(buf, '$', last . parts[0])
  if len(parts) > 1
    call appendbufline(buf, '$', parts[1:])
  endif
  " Follow the end while text streams in.
  let height = get(popup_getoptions(a:id), 'maxheight', 10)
  call popup_setoptions(a:id, {'firstline': max([1, line('$', a:id) - height + 1])})
endfunction

function! rrag#popup#scroll(id, delta) abort
  let first = max([1, get(popup_getpos(a:id), 'firstline', 1) + a:delta])
  call popup_setoptions(a:id, {'firstline': min([first, line('$', a:id)])})
endfunction

function! rrag#popup#close(id) abort
  if has_key(s:views, a:id)
    call popup_close(a:id)
  endif
endfunction
