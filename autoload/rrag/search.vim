" rrag#search: :RragSearch in Vim — the engine's hybrid search over the workspace and its locked
" dependencies (BM25 + vectors + graph), as a quickfix list, best first. The entries are shaped
" by the host (python/rrag/bridge/views.py).

let s:last = {}

function! rrag#search#last() abort
  return s:last
endfunction

function! rrag#search#run(query) abort
  let query = trim(a:query)
  if query ==# ''
    let query = trim(input('rrag search: '))
    if query ==# ''
      return
    endif
  endif
  let params = {'query': query, 'path': rrag#file_or_cwd()}
  let view = {'query': query, 'done': 0}
  let s:last = view
  let h = {}
  function! h.on_result(result, ev) closure
    let view.done = 1
    let view.result = a:result
    if empty(a:ev.view.sources)
      return rrag#util#notify(printf('rrag: nothing in the index matches "%s"', query))
    endif
    call rrag#util#quickfix(a:ev.view.title, a:ev.view.sources)
  endfunction
  function! h.on_error(err, ev) closure
    let view.done = 1
    let view.error = a:err
    call rrag#util#error(a:err.text)
  endfunction
  let view.id = rrag#channel#request('search', params, h)
endfunction
