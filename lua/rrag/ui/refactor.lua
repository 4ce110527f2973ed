-- rrag.ui.refactor: :'<,'>RragRefactor — the proposal as a diff, then accept or reject.
--
-- The request remembers the exact lines it was made for. Accepting replaces exactly those
-- lines, in one nvim_buf_set_lines call (one undo step), and only if they are still what they
-- were; otherwise it says so and changes nothing. Rejecting never touches the buffer.

local config = require('rrag.config')
local float = require('rrag.ui.float')
local log = require('rrag.log')
local rpc = require('rrag.rpc')

local M = { last = nil }

local function same(a, b)
  return #a == #b and table.concat(a, '\n') == table.concat(b, '\n')
end

function M.accept(view)
  if not view.result then
    return log.notify('rrag: the proposal has not arrived yet')
  end
  if not vim.api.nvim_buf_is_valid(view.bufnr) then
    view.float.close()
    return log.error('rrag: the buffer of this refactor is gone; nothing was changed')
  end
  local now = vim.api.nvim_buf_get_lines(view.bufnr, view.first - 1, view.last, false)
  if not same(now, view.lines) then
    view.outcome = 'range-changed'
    return log.notify(
      (
        'rrag: lines %d-%d changed since the refactor was requested;'
        .. ' nothing was changed (run :RragRefactor again)'
      ):format(view.first, view.last),
      vim.log.levels.WARN
    )
  end
  vim.api.nvim_buf_set_lines(view.bufnr, view.first - 1, view.last, false, view.replacement)
  view.outcome = 'accepted'
  view.float.close()
  log.notify(('rrag: refactor applied to lines %d-%d (u undoes it)'):format(view.first, view.last))
end

function M.reject(view)
  view.outcome = 'rejected'
  view.float.close()
  log.notify('rrag: refactor rejected; nothing was changed')
end

-- The preview is the engine's view (python/rrag/bridge/views.py refactor_view): check lines and
-- a unified diff of exactly the lines the request was made for, the text Vim shows too.
local function show(view, result, shown)
  view.result = result
  view.replacement = shown.replacement
  vim.bo[view.float.buf].filetype = 'diff'
  float.set_lines(view.float, shown.lines)
  for _, h in ipairs(shown.highlights or {}) do
    float.highlight(view.float, h.line - 1, h.group, h.col)
  end
  float.set_footer(view.float, 'proposal ready')
end

--- params: path, bufnr, changedtick, selection = {first, last}, instruction.
function M.start(params)
  local first, last = params.selection[1], params.selection[2]
  local lines = vim.api.nvim_buf_get_lines(params.bufnr, first - 1, last, false)
  params.original = table.concat(lines, '\n') .. '\n'
  local keys = config.get().keymaps
  params.keys = { accept = keys.accept, reject = keys.reject, close = keys.close } -- the hint line
  local handle = float.open({
    replaces = M.last and M.last.float,
    title = 'rrag: refactor',
    footer = 'waiting for the model…',
  })
  local view = {
    float = handle,
    buf = handle.buf,
    bufnr = params.bufnr,
    first = first,
    last = last,
    lines = lines,
    instruction = params.instruction,
  }
  M.last = view
  float.map(handle, keys.accept, function()
    M.accept(view)
  end, 'rrag: accept the refactor')
  float.map(handle, keys.reject, function()
    M.reject(view)
  end, 'rrag: reject the refactor')
  view.id = rpc.request('refactor', params, {
    guard = { bufnr = params.bufnr, first = first, last = last, lines = lines },
    on_token = function(text)
      float.append(handle, text)
    end,
    on_result = function(result, ev)
      if handle.valid() then
        show(view, result, ev.view)
      end
    end,
    on_error = float.failed(handle, view, true),
    on_cancel = function()
      float.set_footer(handle, 'cancelled')
    end,
    on_drop = function(reason)
      view.outcome = 'dropped'
      handle.close()
      log.notify(
        ('rrag: refactor dropped, %s; nothing was changed (run :RragRefactor again)'):format(reason),
        vim.log.levels.WARN
      )
    end,
  })
  return float.follow(handle, view)
end

return M
