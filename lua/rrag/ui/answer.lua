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

-- Marks each missing name on its answer lines and lists it; a line with a real item to go to
-- jumps there like a source does.
local function mark_grounding(view, result, lines)
  local missing = vim.tbl_filter(function(g) return g.found == false end, result.grounding or {})
  if #missing == 0 then return {} end
  local diags, marks = {}, {}
  vim.list_extend(lines, { '', '## Not in the index' })
  for _, entry in ipairs(missing) do
    local target = (entry.nearest_items or {})[1]
    for _, lnum in ipairs(entry.lines or { entry.line }) do
      -- Only checked against another std release than the compiler's: a hint, not a warning.
      local severity = entry.verified == false and vim.diagnostic.severity.INFO
        or vim.diagnostic.severity.WARN
      table.insert(diags, { lnum = lnum - 1, col = 0, severity = severity,
                            message = entry.message, source = 'rrag' })
      if target then view.sources[lnum] = target end
    end
    table.insert(lines, ('- line %d: %s'):format(entry.line or 0, entry.message))
    if target then view.sources[#lines] = target end
    table.insert(marks, #lines)
  end
  view.grounding = missing
  return diags, marks
end

local function render(view, result, root)
  local lines = vim.split(result.text or '', '\n', { plain = true })
  table.insert(lines, '')
  local header = #lines
  table.insert(lines, '## Sources')
  view.sources, view.root = {}, root
  for _, src in ipairs(result.sources or {}) do
    table.insert(lines, ('- %s:%d-%d  %s'):format(float.where(src), src.start_line or 1, src.end_line or src.start_line or 1, src.name or ''))
    view.sources[#lines] = src
  end
  if vim.tbl_isempty(view.sources) then table.insert(lines, '(none)') end
  local sources_end = #lines
  local diags, marks = mark_grounding(view, result, lines)
  if result.notice and result.notice ~= vim.NIL then vim.list_extend(lines, { '', 'note: ' .. result.notice }) end
  float.set_lines(view.float, lines)
  float.highlight(view.float, header, 'RragHeader')
  for lnum in pairs(view.sources) do
    if lnum > header and lnum <= sources_end then float.highlight(view.float, lnum - 1, 'RragSource', 2) end
  end
  if marks and #marks > 0 then
    float.highlight(view.float, marks[1] - 2, 'RragHeader')
    for _, lnum in ipairs(marks) do float.highlight(view.float, lnum - 1, 'RragError', 2) end
  end
  vim.diagnostic.set(M.ns_grounding, view.buf, diags or {}, { virtual_text = true, signs = false })
  -- Which model answered and how fast: shaped in Python (bridge/context_view.py answer_meta),
  -- the same footer Vim shows.
  float.set_footer(view.float, result.meta or 'done')
end

local function jump(view)
  local lnum = vim.api.nvim_win_get_cursor(0)[1]
  local src = view.sources and view.sources[lnum]
  if not src then return log.notify('rrag: put the cursor on a source line to jump there') end
  float.jump(view.float, view.root, src.file or src.path, src.start_line)
end

--- kind: 'ask' | 'explain'; params: the request (question, path, line, selection, bufnr ...).
function M.open(kind, params, title)
  if M.last and M.last.float.valid() then M.last.float.close() end -- one answer float at a time
  local handle = float.open({
    title = title, anchor = kind == 'explain' and 'cursor' or 'editor', footer = 'waiting for the model…',
    width = kind == 'explain' and math.min(80, math.floor(vim.o.columns * 0.6)) or nil,
    height = kind == 'explain' and math.min(20, math.floor(vim.o.lines * 0.5)) or nil,
  })
  local view = { kind = kind, float = handle, buf = handle.buf, win = handle.win, tokens = 0, done = false }
  M.last = view
  float.map(handle, config.get().keymaps.jump, function() jump(view) end, 'rrag: jump to source')
  local first = true
  view.id = rpc.request(kind, params, {
    on_token = function(text)
      if first then float.set_footer(handle, 'streaming…') first = false end
      view.tokens = view.tokens + 1
      float.append(handle, text)
    end,
    on_result = function(result, ev)
      view.done, view.result = true, result
      if handle.valid() then render(view, result, ev.root) end
    end,
    on_error = function(err)
      view.done, view.error = true, err
      log.error(err.text)
      float.append(handle, '\n\n' .. err.text)
      float.set_footer(handle, 'failed')
    end,
    on_cancel = function() view.done = true float.set_footer(handle, 'cancelled') end,
    on_drop = function(reason) view.done = true float.set_footer(handle, 'dropped: ' .. reason) end,
  })
  handle.on_close = function()
    if rpc.is_pending(view.id) then rpc.cancel(view.id) end
  end
  if not view.id then handle.close() end
  return view
end

return M
