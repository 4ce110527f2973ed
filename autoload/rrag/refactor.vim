" rrag#refactor: :'<,'>RragRefactor in Vim — the proposal as a diff in a popup, then accept
" or reject (the Neovim twin is lua/rrag/ui/refactor.lua).
"
" The request remembers the exact lines it was made for. Accepting replaces exactly those
" lines, from one command or key (one undo step), and only if they are still what they were;
" otherwise it says so and changes nothing. Rejecting never touches the buffer. The preview
" text (check results, unified diff) comes shaped by the host (python/rrag/bridge/views.py).

let s:last = {}

function! rrag#refactor#last() abort
  return s:last
endfunction

" Replace exactly the requested lines, and only if they are still what the request saw.
function! rrag#refactor#accept(...) abort
  let view = a:0 ? a:1 : s:last
  if empty(view) || !has_key(view, 'plan')
    return rrag#util#warn('rrag: the proposal has not arrived yet')
  endif
  if get(view, 'outcome', 'range-changed') !=# 'range-changed'
    return rrag#util#warn(printf('rrag: this refactor was already %s', view.outcome))
  endif
  let plan = view.plan
  if !bufexists(view.bufnr)
    let view.outcome = 'buffer-gone'
    call rrag#popup#close(view.popup)
    return rrag#util#error('rrag: the buffer of this refactor is gone; nothing was changed')
  endif
  if getbufline(view.bufnr, plan.first, plan.last) !=# plan.original
    let view.outcome = 'range-changed'
    return rrag#util#warn(printf('rrag: lines %d-%d changed since the refactor was requested;'
          \ . ' nothing was changed (run :RragRefactor again)', plan.first, plan.last))
  endif
  let new = plan.replacement
  let old_count = plan.last - plan.first + 1
  let keep = min([old_count, len(new)])
  if keep > 0
    call setbufline(view.bufnr, plan.first, new[: keep - 1])
  endif
  if len(new) > old_count
    call appendbufline(view.bufnr, plan.last, new[old_count :])
  elseif len(new) < old_count
    call deletebufline(view.bufnr, plan.first + len(new), plan.last)
  endif
  let view.outcome = 'accepted'
  call rrag#popup#close(view.popup)
  call rrag#util#notify(printf('rrag: refactor applied to lines %d-%d (u undoes it)',
        \ plan.first, plan.last))
endfunction

function! rrag#refactor#reject(...) abort
  let view = a:0 ? a:1 : s:last
  if empty(view)
    return
  endif
  let view.outcome = 'rejected'
  call rrag#popup#close(view.popup)
  call rrag#util#notify('rrag: refactor rejected; nothing was changed')
endfunction

function! rrag#refactor#start(range, line1, line2, instruction) abort
  let ctx = rrag#here(a:range, a:line1, a:line2)
  let ctx.instruction = trim(a:instruction)
  if ctx.instruction ==# ''
    return rrag#util#error("rrag: :RragRefactor needs an instruction, e.g. :'<,'>RragRefactor"
          \ . ' use iterators')
  endif
  if !rrag#need_file(ctx, ':RragRefactor')
    return
  endif
  let ctx.selection = get(ctx, 'selection', [ctx.line, ctx.line])
  let [first, last] = ctx.selection
  let ctx.lines = getline(first, last)
  if !empty(s:last)
    call rrag#popup#close(s:last.popup)
  endif
  let popup = rrag#popup#open({'title': 'rrag: refactor', 'status': 'waiting for the model…'})
  let view = {'popup': popup, 'bufnr': ctx.bufnr, 'first': first, 'last': last,
        \ 'lines': ctx.lines, 'instruction': ctx.instruction, 'tokens': 0, 'done': 0}
  let s:last = view
  call rrag#popup#map(popup, 'a', {-> rrag#refactor#accept(view)})
  call rrag#popup#map(popup, 'r', {-> rrag#refactor#reject(view)})
  let h = {'guard': {'bufnr': ctx.bufnr, 'first': first, 'last': last, 'lines': ctx.lines}}
  function! h.on_token(text, ev) closure
    let view.tokens += 1
    call rrag#popup#append(view.popup, a:text)
  endfunction
  function! h.on_result(result, ev) closure
    let view.done = 1
    let view.result = a:result
    let view.plan = a:ev.view
    call rrag#popup#set_lines(view.popup, a:ev.view.lines)
    call rrag#popup#set_filetype(view.popup, 'diff')
    call rrag#popup#set_status(view.popup, 'proposal ready')
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
    call rrag#popup#set_status(view.popup, 'cancelled')
  endfunction
  function! h.on_drop(reason, ev) closure
    let view.done = 1
    let view.outcome = 'dropped'
    call rrag#popup#close(view.popup)
    call rrag#util#warn(printf('rrag: refactor dropped, %s; nothing was changed (run'
          \ . ' :RragRefactor again)', a:reason))
  endfunction
  let view.id = rrag#channel#request('refactor', ctx, h)
  if !view.id
    call rrag#popup#close(popup)
    return
  endif
  call rrag#popup#on_close(popup, {-> rrag#channel#is_pending(view.id)
        \ ? rrag#channel#cancel(view.id) : 0})
endfunction
