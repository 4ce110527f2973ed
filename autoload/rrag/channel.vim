" rrag#channel: the only Vim script that knows the channel to Python (Vim 9 front end).
"
" Starts `python -m rrag.vimhost` lazily with job_start() in 'nl' mode (one JSON object per
" line; no +python3 needed), numbers requests, and receives every event the host sends. Events
" that went stale are dropped here, as the Neovim front end does: a newer request of the same
" kind replaced the request, its buffer is gone, or the lines it was made for changed.

let s:root = expand('<sfile>:p:h:h:h')
let s:state = {'job': v:null, 'ch': v:null, 'next_id': 0, 'pending': {}, 'latest': {},
      \ 'stderr': [], 'dropped': 0, 'stopping': 0, 'events': 0, 'exit_code': v:null,
      \ 'closed': 0}

" Every method and its stale policy: autoload/rrag/methods.vim, generated from
" python/rrag/protocol.py (the same table Neovim reads).
let s:METHODS = rrag#methods#all()

function! rrag#channel#state() abort
  return s:state
endfunction

" g:rrag_python, else the plugin's own virtualenv, else python3 from $PATH.
function! rrag#channel#python() abort
  if !empty(get(g:, 'rrag_python', ''))
    return expand(g:rrag_python)
  endif
  let venv = s:root . '/.venv/bin/python'
  return executable(venv) ? venv : 'python3'
endfunction

function! s:fix_for(python) abort
  return printf("set g:rrag_python to a Python with rrag's dependencies, e.g. run `make setup`"
        \ . ' in %s (now: %s)', s:root, a:python)
endfunction

function! s:fail_pending(text) abort
  let pending = s:state.pending
  let s:state.pending = {}
  for req in values(pending)
    if has_key(req.h, 'on_error')
      call req.h.on_error({'code': 'host', 'text': a:text, 'message': a:text}, {})
    endif
  endfor
endfunction

" The host ended: report it once both its exit code and the rest of its output (stderr, whose
" last line usually says why) have arrived; Vim calls exit_cb and close_cb in either order.
function! s:on_exit(job, code) abort
  if a:job is s:state.job
    let s:state.exit_code = a:code
    call s:host_gone()
    " A child the host left behind may hold stderr open: do not wait for the close forever.
    call timer_start(1000, {-> a:job is s:state.job ? s:closed_anyway() : 0})
  endif
endfunction

function! s:closed_anyway() abort
  let s:state.closed = 1
  call s:host_gone()
endfunction

function! s:on_close(channel) abort
  if s:state.ch isnot v:null && ch_info(a:channel).id == ch_info(s:state.ch).id
    let s:state.closed = 1
    call s:host_gone()
  endif
endfunction

function! s:host_gone() abort
  if s:state.exit_code is v:null || !s:state.closed
    return
  endif
  let code = s:state.exit_code
  let s:state.job = v:null
  let s:state.ch = v:null
  if s:state.stopping
    return
  endif
  let last = empty(s:state.stderr) ? '' : ': ' . s:state.stderr[-1]
  let text = printf('rrag: the Python host exited (code %d)%s (%s)', code, last,
        \ s:fix_for(rrag#channel#python()))
  call rrag#util#error(text)
  call s:fail_pending(text)
endfunction

function! s:on_err(channel, line) abort
  if a:line =~# '^\s*$'
    return
  endif
  call add(s:state.stderr, a:line)
  if len(s:state.stderr) > 50
    call remove(s:state.stderr, 0)
  endif
endfunction

function! s:on_out(channel, line) abort
  try
    let ev = json_decode(a:line)
  catch
    call s:on_err(a:channel, 'unreadable host output: ' . a:line[:200])
    return
  endtry
  if type(ev) == v:t_dict
    call rrag#channel#on_event(ev)
  endif
endfunction

function! s:start() abort
  let python = rrag#channel#python()
  if !executable(python)
    call rrag#util#error(printf("rrag: Python interpreter '%s' not found (%s)", python,
          \ s:fix_for(python)))
    return v:false
  endif
  let pythonpath = s:root . '/python' . (empty($PYTHONPATH) ? '' : ':' . $PYTHONPATH)
  let s:state.stderr = []
  let s:state.stopping = 0
  let s:state.exit_code = v:null
  let s:state.closed = 0
  let job = job_start([python, '-m', 'rrag.vimhost'], {
        \ 'mode': 'nl', 'noblock': 1, 'stoponexit': 'term',
        \ 'out_cb': function('s:on_out'), 'err_cb': function('s:on_err'),
        \ 'exit_cb': function('s:on_exit'), 'close_cb': function('s:on_close'),
        \ 'env': {'PYTHONPATH': pythonpath}})
  if job_status(job) !=# 'run'
    call rrag#util#error(printf('rrag: could not start %s -m rrag.vimhost (%s)', python,
          \ s:fix_for(python)))
    return v:false
  endif
  let s:state.job = job
  let s:state.ch = job_getchannel(job)
  call rrag#buffers#reset()  " a new host has none of the texts sent to an old one
  call s:send('setup', {'id': rrag#channel#next_id(), 'engine': get(g:, 'rrag_engine', {})})
  return v:true
endfunction

function! s:send(method, params) abort
  call ch_sendraw(s:state.ch, json_encode({'method': a:method, 'params': a:params}) . "\n")
endfunction

function! rrag#channel#running() abort
  return s:state.job isnot v:null && job_status(s:state.job) ==# 'run'
endfunction

function! rrag#channel#next_id() abort
  let s:state.next_id += 1
  return s:state.next_id
endfunction

" Send a request; its events reach handlers.on_token(text, ev), on_progress(ev),
" on_result(result, ev), on_error(err, ev), on_cancel(ev), on_drop(reason, ev). The method's
" stale policy comes from the protocol; a method with line_guard takes handlers.guard =
" {bufnr, first, last, lines}. Returns the id or 0.
function! rrag#channel#request(kind, params, handlers) abort
  let method = s:METHODS[a:kind]
  if has_key(a:handlers, 'guard') && !method.line_guard
    throw 'rrag: ' . a:kind . ' has no line guard in the protocol'
  endif
  if !rrag#channel#running() && !s:start()
    return 0
  endif
  let id = rrag#channel#next_id()
  let a:params.id = id
  let bufnr = get(a:params, 'bufnr', 0)
  let req = {'id': id, 'kind': a:kind, 'method': method, 'h': a:handlers, 'bufnr': bufnr,
        \ 'changedtick': bufnr ? getbufvar(bufnr, 'changedtick', 0) : 0}
  if method.supersede
    let s:state.latest[a:kind] = id
  endif
  let s:state.pending[id] = req
  if method.carries_buffers
    let a:params.buffers = rrag#buffers#collect()
  endif
  call s:send(a:kind, a:params)
  return id
endfunction

function! rrag#channel#is_pending(id) abort
  return a:id != 0 && has_key(s:state.pending, a:id)
endfunction

" Cancel one request (id) or all (id 0); the host stops the work, later events are dropped.
function! rrag#channel#cancel(id) abort
  let n = 0
  for [pid, req] in items(copy(s:state.pending))
    if a:id == 0 || pid == a:id
      call remove(s:state.pending, pid)
      let n += 1
      if has_key(req.h, 'on_cancel')
        call req.h.on_cancel({})
      endif
    endif
  endfor
  if rrag#channel#running()
    call s:send('cancel', a:id == 0 ? {} : {'id': a:id})
  endif
  return n
endfunction

function! s:stale_reason(req) abort
  if a:req.method.supersede && get(s:state.latest, a:req.kind, 0) != a:req.id
    return printf('a newer %s request replaced it', a:req.kind)
  endif
  if a:req.bufnr && !bufexists(a:req.bufnr)
    return printf('buffer %d is gone', a:req.bufnr)
  endif
  if a:req.method.drop_on_edit && a:req.bufnr
        \ && getbufvar(a:req.bufnr, 'changedtick', 0) != a:req.changedtick
    return printf('buffer %d changed since the request', a:req.bufnr)
  endif
  let g = get(a:req.h, 'guard', {})
  if !empty(g) && getbufline(g.bufnr, g.first, g.last) !=# g.lines
    return printf('lines %d-%d changed since the request', g.first, g.last)
  endif
  return ''
endfunction

let s:FINAL = {'result': 1, 'error': 1, 'cancelled': 1}

" Every event from the host arrives here (see python/rrag/vimhost/).
function! rrag#channel#on_event(ev) abort
  let s:state.events += 1
  let id = get(a:ev, 'id', 0)
  let type = get(a:ev, 'type', '')
  if type(id) != v:t_number || !has_key(s:state.pending, id)
    if type ==# 'error' && (id is v:null || id == 0 || get(a:ev, 'kind', '') ==# 'setup')
      call rrag#util#error(a:ev.error.text)
    else
      let s:state.dropped += 1
    endif
    return
  endif
  let req = s:state.pending[id]
  let reason = s:stale_reason(req)
  if reason !=# ''
    let s:state.dropped += 1
    if has_key(s:FINAL, type)
      call remove(s:state.pending, id)
      if has_key(req.h, 'on_drop')
        call req.h.on_drop(reason, a:ev)
      endif
    endif
    return
  endif
  if has_key(s:FINAL, type)
    call remove(s:state.pending, id)
  endif
  try
    call s:dispatch(req.h, a:ev)
  catch
    call rrag#util#error(printf('rrag: internal error while showing a %s %s: %s (%s)',
          \ get(a:ev, 'kind', ''), type, v:exception, v:throwpoint))
  endtry
endfunction

function! s:dispatch(h, ev) abort
  let type = a:ev.type
  if type ==# 'token' && has_key(a:h, 'on_token')
    call a:h.on_token(a:ev.text, a:ev)
  elseif type ==# 'progress' && has_key(a:h, 'on_progress')
    call a:h.on_progress(a:ev)
  elseif type ==# 'result' && has_key(a:h, 'on_result')
    call a:h.on_result(get(a:ev, 'result', {}), a:ev)
  elseif type ==# 'error'
    if has_key(a:h, 'on_error')
      call a:h.on_error(a:ev.error, a:ev)
    else
      call rrag#util#error(a:ev.error.text)
    endif
  elseif type ==# 'cancelled' && has_key(a:h, 'on_cancel')
    call a:h.on_cancel(a:ev)
  endif
endfunction

" Stop the host; the next request starts a new one.
function! rrag#channel#stop() abort
  if s:state.job isnot v:null
    let s:state.stopping = 1
    call job_stop(s:state.job)
  endif
  let s:state.job = v:null
  let s:state.ch = v:null
endfunction
