" rrag#models: :RragModel in Vim — pick the chat model from the ones on this machine.
"
" A popup menu lists what `rrag models` finds (Ollama's store, LM Studio, the Hugging Face cache,
" ~/models, llm.model_dirs, and the models of servers answering on localhost), the model in use
" marked `*`. Its lines are the engine's (python/rrag/service/model_table.py), the same the
" command line prints and Neovim's float shows. <CR> picks (j/k move, <Esc> or x closes): the
" host writes the pick to the user's config file and the next request answers with it.
" `:RragModel NAME` picks without the menu.

let s:last = {}
let s:last_pick = {}

function! rrag#models#last() abort
  return s:last
endfunction

function! rrag#models#last_pick() abort
  return s:last_pick
endfunction

" Pick the model `name` (a listed name, a unique part of one, a GGUF path, or 'default').
function! rrag#models#use(name) abort
  let s:last_pick = {'done': 0, 'name': a:name}
  let pick = s:last_pick
  let h = {}
  function! h.on_result(result, ev) closure
    let pick.done = 1
    let pick.result = a:result
    call rrag#util#notify(a:result.message)
  endfunction
  function! h.on_error(err, ev) closure
    let pick.done = 1
    let pick.error = a:err
    call rrag#util#error(a:err.text)
  endfunction
  let pick.id = rrag#channel#request('use_model', {'name': a:name}, h)
  return pick.id
endfunction

function! s:picked(view, id, choice) abort
  let a:view.menu = 0
  if a:choice < 1 || a:choice > len(a:view.rows)
    return
  endif
  call rrag#models#use(a:view.rows[a:choice - 1].key)
endfunction

function! s:show(view, table) abort
  let a:view.rows = a:table.rows
  if empty(a:table.lines)
    return rrag#util#warn('rrag: no chat model found on this machine (see :help :RragModel)')
  endif
  let current = index(map(copy(a:table.lines), {_, l -> l[0] ==# '*'}), 1)
  let a:view.menu = popup_menu(a:table.lines, {
        \ 'title': ' rrag: models — ' . trim(a:table.header) . ' ',
        \ 'callback': function('s:picked', [a:view]), 'maxwidth': &columns - 6,
        \ 'wrap': 0, 'zindex': 200})
  if current > 0
    call win_execute(a:view.menu, 'call cursor(' . (current + 1) . ', 1)')
  endif
  for note in get(a:table, 'notes', [])
    call rrag#util#warn(note =~# '^rrag:' ? note : 'rrag: ' . note)
  endfor
endfunction

function! rrag#models#open(name) abort
  if trim(a:name) !=# ''
    return rrag#models#use(trim(a:name))
  endif
  let view = {'done': 0, 'menu': 0}
  let s:last = view
  let h = {}
  function! h.on_result(result, ev) closure
    let view.done = 1
    let view.result = a:result
    call s:show(view, a:result.view)
  endfunction
  function! h.on_error(err, ev) closure
    let view.done = 1
    let view.error = a:err
    call rrag#util#error(a:err.text)
  endfunction
  let view.id = rrag#channel#request('models', {'path': rrag#file_or_cwd()}, h)
  if view.id
    call rrag#util#notify('rrag: looking for models…')
  endif
endfunction
