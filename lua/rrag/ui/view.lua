-- rrag.ui.view: the float of every command the protocol gives a generic view
-- (python/rrag/protocol.py Command; the table is lua/rrag/methods.lua).
--
-- The engine shapes the whole view (python/rrag/bridge/views.py): lines, highlights and jump
-- targets. This module only opens a float, sends the request about the cursor (and the range,
-- and the command's arguments), and draws what comes back; <CR> on a line with a target opens
-- it. Vim shows the same view in a popup (autoload/rrag/view.vim).

local config = require('rrag.config')
local float = require('rrag.ui.float')
local log = require('rrag.log')
local rpc = require('rrag.rpc')

local M = { last = nil } -- the latest float's state, for tests

local function render(view, shown)
  view.targets = {}
  for _, target in ipairs(shown.sources or {}) do
    view.targets[target.lnum] = target
  end
  float.set_lines(view.float, shown.lines or {})
  for _, h in ipairs(shown.highlights or {}) do
    float.highlight(view.float, h.line - 1, h.group, h.col)
  end
  float.set_footer(view.float, shown.meta or 'done')
end

--- spec: one entry of require('rrag.methods').commands; opts: the user command's.
function M.run(spec, opts)
  local rrag = require('rrag')
  local ctx = rrag.here(opts)
  if not rrag.need_file(ctx, ':' .. spec.name) then
    return
  end
  if spec.arg ~= '' then
    ctx[spec.arg] = vim.trim(opts.args or '')
  end
  local handle = float.open({
    replaces = M.last and M.last.float,
    title = 'rrag: ' .. spec.method,
    footer = 'asking the engine…',
  })
  local view = { spec = spec, float = handle, buf = handle.buf, done = false }
  M.last = view
  float.map(handle, config.get().keymaps.jump, function()
    local target = view.targets and view.targets[vim.api.nvim_win_get_cursor(0)[1]]
    if not target then
      return log.notify('rrag: nothing to open on this line')
    end
    float.jump(handle, nil, target.path, target.line)
  end, 'rrag: open the item')
  view.id = rpc.request(spec.method, ctx, {
    on_result = function(result, ev)
      view.done, view.result = true, result
      if handle.valid() then
        render(view, ev.view or {})
      end
    end,
    on_error = float.failed(handle, view),
    on_drop = function(reason)
      view.done = true
      float.set_footer(handle, 'stale: ' .. reason)
    end,
  })
  return float.follow(handle, view)
end

return M
