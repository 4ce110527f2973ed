" rrag: the commands of the Vim 9 front end (:help rrag-vim). plugin/rrag.vim defines them;
" each gathers the buffer's context, opens a popup and talks to Python via rrag#channel. The
" text shown (answers with sources, refactor previews, context, search results, status) is
" shaped by the host.

let s:last = {'answer': {}, 'status': {}, 'index': {}}
let s:progress = {}  " workspace root -> progress text
let s:timers = {}    " path -> debounce timer of the re-index on save
let s:reindex_requests = 0

function! rrag#state() abort
  return {'answer': s:last.answer, 'context': rrag#context#last(), 'search': rrag#search#last(),
        \ 'upgrade': rrag#upgrade#last(), 'view': rrag#view#last(),
        \ 'refactor': rrag#refactor#last(), 'status': s:last.status, 'index': s:last.index,
        \ 'models': rrag#models#last(), 'pick': rrag#models#last_pick(),
        \ 'progress': s:progress, 'reindex_requests': s:reindex_requests,
        \ 'reindex_waiting': filter(keys(s:timers), 'v:val !=# "check"'),
        \ 'messages': rrag#util#messages(), 'channel': s:channel_summary(),
        \ 'python': rrag#channel#python()}
endfunction

function! s:channel_summary() abort
  let st = rrag#channel#state()
  return {'running': rrag#channel#running(), 'pending': keys(st.pending), 'events': st.events,
        \ 'dropped': st.dropped, 'stderr': st.stderr}
endfunction

" Where the request is about: file, cursor line, and the command's range if it has one.
function! rrag#here(range, line1, line2) abort
  let name = bufname('%')
  let ctx = {'bufnr': bufnr('%'), 'changedtick': b:changedtick, 'line': line('.')}
  if name !=# '' && &buftype ==# ''
    let ctx.path = fnamemodify(name, ':p')
  endif
  if a:range > 0
    let ctx.selection = [min([a:line1, a:line2]), max([a:line1, a:line2])]
  endif
  return ctx
endfunction

" The current buffer's file, else the working directory: which workspace a request is about.
function! rrag#file_or_cwd() abort
  let name = bufname('%')
  return name !=# '' && &buftype ==# '' ? fnamemodify(name, ':p') : getcwd()
endfunction

function! rrag#need_file(ctx, what) abort
  if has_key(a:ctx, 'path')
    return 1
  endif
  call rrag#util#error(printf('rrag: %s needs a buffer with a file of a Rust project (this one'
        \ . ' has no name)', a:what))
  return 0
endfunction

" -- :RragAsk and :RragExplain --------------------------------------------------------------

function! s:answer(kind, ctx, title) abort
  if !empty(s:last.answer)
    call rrag#popup#close(s:last.answer.popup)
  endif
  let explain = a:kind ==# 'explain'
  let popup = rrag#popup#open({'title': a:title, 'status': 'waiting for the model…',
        \ 'anchor': explain ? 'cursor' : 'editor',
        \ 'width': explain ? min([80, &columns * 6 / 10]) : min([100, &columns - 8]),
        \ 'height': explain ? min([20, &lines / 2]) : max([5, &lines * 6 / 10])})
  let view = {'kind': a:kind, 'popup': popup, 'tokens': 0, 'text': '', 'done': 0}
  let s:last.answer = view
  let h = {}
  function! h.on_token(text, ev) closure
    if view.tokens == 0
      call rrag#popup#set_status(view.popup, 'streaming…')
    endif
    let view.tokens += 1
    let view.text .= a:text
    call rrag#popup#append(view.popup, a:text)
  endfunction
  function! h.on_result(result, ev) closure
    let view.done = 1
    let view.result = a:result
    let view.sources = a:ev.view.sources
    call rrag#popup#set_lines(view.popup, a:ev.view.lines)
    let view.grounding = get(a:ev.view, 'grounding', [])
    let status = a:ev.view.meta . ' · :RragSources'
    if !empty(view.grounding)
      " The nearest real item of each name the index does not hold, ready in :copen.
      call setqflist([], ' ', {'title': 'rrag: names not in the index',
            \ 'items': map(copy(view.grounding),
            \ {_, s -> {'filename': s.path, 'lnum': s.line, 'text': s.text}})})
      let status .= ' · ' . len(view.grounding) . ' unknown names in :copen'
    endif
    call rrag#popup#set_status(view.popup, status)
  endfunction
  function! h.on_error(err, ev) closure
    let view.done = 1
    let view.error = a:err
    call rrag#util#error(a:err.text)
    call rrag#popup#append(view.popup, "\n\n" . a:err.text)
    call rrag#popup#set_status(view.popup, 'failed')
  endfunction
  function! h.on_cancel(ev) closure
    let view.done = 1
    let view.cancelled = 1
    call rrag#popup#set_status(view.popup, 'cancelled')
  endfunction
  function! h.on_drop(reason, ev) closure
    let view.done = 1
    let view.dropped = a:reason
    call rrag#popup#set_status(view.popup, 'dropped: ' . a:reason)
  endfunction
  let view.id = rrag#channel#request(a:kind, a:ctx, h)
  if !view.id
    call rrag#popup#close(popup)
    return
  endif
  " Closing the popup cancels a running answer.
  call rrag#popup#on_close(popup, {-> rrag#channel#is_pending(view.id)
        \ ? rrag#channel#cancel(view.id) : 0})
endfunction

function! rrag#ask(range, line1, line2, question) abort
  let ctx = rrag#here(a:range, a:line1, a:line2)
  let question = trim(a:question)
  if question ==# ''
    let question = trim(input('rrag ask: '))
    if question ==# ''
      return
    endif
  endif
  let ctx.question = question
  call s:answer('ask', ctx, 'rrag: ' . question)
endfunction

function! rrag#explain(range, line1, line2) abort
  let ctx = rrag#here(a:range, a:line1, a:line2)
  if rrag#need_file(ctx, ':RragExplain')
    call s:answer('explain', ctx, 'rrag: explain')
  endif
endfunction

" The sources of the last answer in the quickfix list.
function! rrag#sources() abort
  let sources = get(s:last.answer, 'sources', [])
  if empty(sources)
    return rrag#util#warn('rrag: no answer with sources yet (run :RragAsk or :RragExplain)')
  endif
  call rrag#util#quickfix('rrag sources', sources)
endfunction

" -- :RragIndex, re-index on save, :RragStatus ---------------------------------------------

function! s:index(kind, path, notify) abort
  let h = {'root': ''}
  function! h.on_progress(ev) closure
    let h.root = a:ev.root
    let s:progress[a:ev.root] = a:ev.text
    redrawstatus
  endfunction
  function! h.on_result(result, ev) closure
    silent! call remove(s:progress, h.root ==# '' ? a:ev.root : h.root)
    let s:last.index = {'root': a:ev.root, 'result': a:result, 'kind': a:kind,
          \ 'summary': a:ev.view.summary, 'at': localtime()}
    redrawstatus
    if a:notify
      call rrag#util#notify(a:ev.view.summary)
    endif
  endfunction
  function! h.on_error(err, ev) closure
    silent! call remove(s:progress, h.root)
    let s:last.index = {'root': get(a:ev, 'root', ''), 'error': a:err, 'kind': a:kind,
          \ 'at': localtime()}
    call rrag#util#error(a:err.text)
  endfunction
  function! h.on_cancel(ev) closure
    silent! call remove(s:progress, h.root)
    if a:notify
      call rrag#util#notify('rrag: indexing cancelled')
    endif
  endfunction
  let id = rrag#channel#request(a:kind, {'path': a:path}, h)
  if id && a:notify
    call rrag#util#notify(printf('rrag: indexing the workspace of %s…',
          \ fnamemodify(a:path, ':~:.')))
  endif
  return id
endfunction

function! rrag#index() abort
  return s:index('index', rrag#file_or_cwd(), get(g:, 'rrag_notify_progress', 1))
endfunction

" BufWritePost: re-index the written file's workspace after g:rrag_debounce_ms of quiet.
function! rrag#on_write(path) abort
  if !get(g:, 'rrag_auto_index', 1)
    return
  endif
  let path = fnamemodify(a:path, ':p')
  if has_key(s:timers, path)
    call timer_stop(s:timers[path])
  endif
  let s:timers[path] = timer_start(get(g:, 'rrag_debounce_ms', rrag#methods#reindex_debounce_ms()),
        \ {-> s:reindex(path)})
endfunction

" FocusGained / BufEnter: bring the workspace's index up to date with the disk after
" g:rrag_debounce_ms, so the next request is quick. Only while the host runs.
function! rrag#on_focus(path) abort
  if !get(g:, 'rrag_auto_index', 1) || !rrag#channel#running() || a:path ==# ''
    return
  endif
  if has_key(s:timers, 'check')
    call timer_stop(s:timers.check)
  endif
  let path = a:path
  let s:timers.check = timer_start(get(g:, 'rrag_debounce_ms', rrag#methods#reindex_debounce_ms()),
        \ {-> rrag#channel#request('check', {'path': path}, {})})
endfunction

function! s:reindex(path) abort
  call remove(s:timers, a:path)
  let s:reindex_requests += 1
  call s:index('reindex', a:path, 0)
endfunction

function! rrag#status() abort
  if !empty(s:last.status)
    call rrag#popup#close(s:last.status.popup)
  endif
  let path = rrag#file_or_cwd()
  let popup = rrag#popup#open({'title': 'rrag: status', 'status': 'asking the engine…',
        \ 'filetype': 'rrag-status'})
  let view = {'popup': popup, 'done': 0}
  let s:last.status = view
  let h = {}
  function! h.on_result(result, ev) closure
    let view.done = 1
    let view.result = a:result
    let lines = a:ev.view.lines
    let at = index(lines, 'Last errors:') - 1  " the blank line before the errors
    for text in values(s:progress)
      call insert(lines, printf('%-15s %s', 'progress', text), max([0, at]))
    endfor
    call rrag#popup#set_lines(view.popup, lines)
    call rrag#popup#set_status(view.popup, 'q closes')
  endfunction
  function! h.on_error(err, ev) closure
    let view.done = 1
    let view.error = a:err
    call rrag#util#error(a:err.text)
    call rrag#popup#set_status(view.popup, 'failed')
  endfunction
  let view.id = rrag#channel#request('status', {'path': path}, h)
  if !view.id
    call rrag#popup#close(popup)
  endif
endfunction

function! rrag#cancel() abort
  let n = rrag#channel#cancel(0)
  call rrag#util#notify(printf('rrag: cancelled %d request%s', n, n == 1 ? '' : 's'))
endfunction

" For 'statusline': the running index phase and counts, or '' when nothing runs.
function! rrag#statusline() abort
  return empty(s:progress) ? '' : values(s:progress)[0]
endfunction
