" rrag#util: messages of the Vim 9 front end.
"
" A message may arrive from a channel callback while the user types: it goes into the message
" history in full (:messages) and is shown cut to the screen width, so it never raises a
" hit-enter prompt that would swallow the user's next keys. The last messages are also kept
" for rrag#state() (tests, :RragStatus).

let s:messages = []

function! s:show(text, group) abort
  call add(s:messages, a:text)
  if len(s:messages) > 50
    call remove(s:messages, 0)
  endif
  execute 'echohl' a:group
  silent echomsg a:text
  let width = max([20, &columns - 15])
  echo strcharpart(substitute(a:text, '\n', ' ', 'g'), 0, width)
  echohl None
endfunction

function! rrag#util#notify(text) abort
  call s:show(a:text, 'None')
endfunction

function! rrag#util#warn(text) abort
  call s:show(a:text, 'WarningMsg')
endfunction

function! rrag#util#error(text) abort
  call s:show(a:text, 'ErrorMsg')
endfunction

function! rrag#util#messages() abort
  return s:messages
endfunction

" Lines of a text; a final newline does not make an extra empty line.
function! rrag#util#split(text) abort
  let lines = split(a:text, "\n", 1)
  if len(lines) > 1 && lines[-1] ==# ''
    call remove(lines, -1)
  endif
  return lines
endfunction

" A new quickfix list of sources ({path, line, text} each), opened.
function! rrag#util#quickfix(title, sources) abort
  call setqflist([], ' ', {'title': a:title, 'items': map(copy(a:sources),
        \ {_, s -> {'filename': s.path, 'lnum': s.line, 'text': s.text}})})
  copen
endfunction

