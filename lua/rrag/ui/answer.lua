-- rrag.ui.answer: the float of :RragAsk and :RragExplain.
--
-- Opens at once, streams the model's tokens in as markdown, then rewrites itself with the final
-- answer and its sources; <CR> on a source opens it, closing the float cancels a running answer.
-- Names the answer uses that the index does not hold (grounding, issue 21) are marked on their
-- lines (a warning diagnostic with virtual text) and listed under the sources; <CR> on either
-- opens the nearest real item.

local config = require('rrag.config')
local float = require('rrag.ui.float')
local log = require('rrag.log')
local rpc = require('rrag.rpc')

local M = { last = nil } -- the latest float's state, for tests and :RragStatus
M.ns_grounding = vim.api.nvim_create_namespace('rrag_grounding')

-- The final answer is the engine's view (python/rrag/bridge/views.py answer_view), the lines
-- Vim shows too: drawn here with its highlights; each name the index does not hold becomes a
-- warning diagnostic (virtual text) on the answer lines that use it. <CR> on a source, on a
-- listed missing name or on a marked line opens the item it points at.
local function render(view, shown)
  view.sources = {}
  for _, target in ipairs(shown.sources or {}) do
    view.sources[target.lnum] = target
  end
  for _, target in ipairs(shown.grounding or {}) do
    view.sources[target.lnum] = target
  end
  local diags = {}
  for _, d in ipairs(shown.diagnostics or {}) do
    -- Only checked against another std release than the compiler's: a hint, not a warning.
    local severity = d.verified == false and vim.diagnostic.severity.INFO
      or vim.diagnostic.severity.WARN
    table.insert(
      diags,
      { lnum = d.line - 1, col = 0, severity = severity, message = d.message, source = 'rrag' }
    )
    if d.target and d.target ~= vim.NIL then
      view.sources[d.line] = d.target
    end
  end
  float.set_lines(view.float, shown.lines)
  for _, h in ipairs(shown.highlights or {}) do
    float.highlight(view.float, h.line - 1, h.group, h.col)
  end
  vim.diagnostic.set(M.ns_grounding, view.buf, diags, { virtual_text = true, signs = false })
  float.set_footer(view.float, shown.meta or 'done')
end

local function jump(view)
  local lnum = vim.api.nvim_win_get_cursor(0)[1]
  local src = view.sources and view.sources[lnum]
  if not src then
    return log.notify('rrag: put the cursor on a source line to jump there')
  end
  float.jump(view.float, nil, src.path, src.line)
end

--- kind: 'ask' | 'explain'; params: the request (question, path, line, selection, bufnr ...).
function M.open(kind, params, title)
  local handle = float.open({
    replaces = M.last and M.last.float,
    title = title,
    anchor = kind == 'explain' and 'cursor' or 'editor',
    footer = 'waiting for the model…',
    width = kind == 'explain' and math.min(80, math.floor(vim.o.columns * 0.6)) or nil,
    height = kind == 'explain' and math.min(20, math.floor(vim.o.lines * 0.5)) or nil,
  })
  local view =
    { kind = kind, float = handle, buf = handle.buf, win = handle.win, tokens = 0, done = false }
  M.last = view
  float.map(handle, config.get().keymaps.jump, function()
    jump(view)
  end, 'rrag: jump to source')
  local first = true
  view.id = rpc.request(kind, params, {
    on_token = function(text)
      if first then
        float.set_footer(handle, 'streaming…')
        first = false
      end
      view.tokens = view.tokens + 1
      float.append(handle, text)
    end,
    on_result = function(result, ev)
      view.done, view.result = true, result
      if handle.valid() then
        render(view, ev.view)
      end
    end,
    on_error = float.failed(handle, view, true),
    on_cancel = function()
      view.done = true
      float.set_footer(handle, 'cancelled')
    end,
    on_drop = function(reason)
      view.done = true
      float.set_footer(handle, 'dropped: ' .. reason)
    end,
  })
  return float.follow(handle, view)
end

return M
