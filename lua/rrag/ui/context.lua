-- rrag.ui.context: :RragContext — the provenance float.
--
-- Shows what the next request would hand the model: each item with why it was chosen, its
-- packing mode and token cost, under a budget meter, then the best items that did not fit (their
-- cost and score parts). `p` pins an item (always included: a pinned item that did not fit is
-- packed on the refresh), `x` excludes it; both apply to every following
-- :RragAsk/:RragExplain/:RragContext of the session and recompute the float at once.

local config = require('rrag.config')
local float = require('rrag.ui.float')
local log = require('rrag.log')
local rpc = require('rrag.rpc')

local M = { pinned = {}, excluded = {}, last = nil } -- pinned/excluded: id -> item

--- The ids to send with a request.
function M.selection()
  return { pinned = vim.tbl_keys(M.pinned), excluded = vim.tbl_keys(M.excluded) }
end

local function meter(tokens, budget)
  local width = 24
  local filled = budget > 0 and math.min(width, math.floor(width * tokens / budget + 0.5)) or width
  return ('Budget ▕%s%s▏ %d / %d tokens (%d%%)'):format(
    ('█'):rep(filled),
    ('░'):rep(width - filled),
    tokens,
    budget,
    budget > 0 and math.floor(100 * tokens / budget + 0.5) or 0
  )
end

-- The body (packed items, then the best ones that did not fit) is the engine's shared
-- description (rrag.bridge.context_view), the same lines Vim shows; only the header is ours.
local function render(view, result, root)
  view.result, view.root, view.items = result, root, {}
  local keys = config.get().keymaps
  local lines = {
    meter(result.tokens or 0, result.budget or 0),
    ('%s pin · %s exclude · %s refresh · %s jump · %s close'):format(
      float.keys_text(keys.pin),
      float.keys_text(keys.exclude),
      float.keys_text(keys.refresh),
      float.keys_text(keys.jump),
      float.keys_text(keys.close)
    ),
    '',
  }
  local head = #lines
  local marks = {}
  local body = result.view or { lines = {}, rows = {} }
  for _, text in ipairs(body.lines) do
    table.insert(lines, text)
  end
  for _, row in ipairs(body.rows) do
    local lnum = head + row.line
    if row.item ~= nil and row.item ~= vim.NIL then
      view.items[lnum] = row.item
    end
    table.insert(marks, { lnum - 1, row.hl })
  end
  for id, item in pairs(M.excluded) do
    table.insert(
      lines,
      ('[X]   excluded  %s:%d-%d  %s'):format(
        float.where(item),
        item.start_line or 1,
        item.end_line or 1,
        item.name or id
      )
    )
    view.items[#lines] = item
    table.insert(marks, { #lines - 1, 'RragExcluded' })
  end
  float.set_lines(view.float, lines)
  float.highlight(
    view.float,
    0,
    (result.tokens or 0) > (result.budget or 0) and 'RragBudgetOver' or 'RragBudget'
  )
  float.highlight(view.float, 1, 'RragMeta')
  for _, m in ipairs(marks) do
    float.highlight(view.float, m[1], m[2])
  end
  -- When the index was last brought up to date, and what is still pending (service/status.py).
  local fresh = result.freshness and result.freshness.text
  float.set_footer(
    view.float,
    ('%d items · %d did not fit%s'):format(
      #(result.items or {}),
      #(result.left_out or {}),
      fresh and (' · ' .. fresh) or ''
    )
  )
end

local function request(view)
  local params = vim.tbl_extend('force', vim.deepcopy(view.params), M.selection())
  if params.bufnr and vim.api.nvim_buf_is_valid(params.bufnr) then
    params.changedtick = vim.b[params.bufnr].changedtick -- a refresh describes the buffer as it is now
  end
  view.id = rpc.request('context', params, {
    drop_on_edit = true,
    on_result = function(result, ev)
      if view.float.valid() then
        render(view, result, ev.root)
      end
    end,
    on_error = function(err)
      view.error = err
      log.error(err.text)
      float.set_footer(view.float, 'failed')
    end,
    on_drop = function(reason)
      float.set_footer(view.float, 'stale: ' .. reason)
    end,
  })
  return view.id
end

local function item_under_cursor(view)
  local item = view.items and view.items[vim.api.nvim_win_get_cursor(0)[1]]
  if not item then
    log.notify('rrag: put the cursor on a context item')
  end
  return item
end

local function toggle(view, set, other)
  local item = item_under_cursor(view)
  if not item or not item.id then
    return
  end
  if set[item.id] then
    set[item.id] = nil
  else
    set[item.id], other[item.id] = item, nil
  end
  request(view)
end

function M.open(params)
  local handle = float.open({
    replaces = M.last and M.last.float,
    title = 'rrag: context',
    footer = 'collecting…',
    filetype = 'rrag-context',
  })
  local view = { float = handle, buf = handle.buf, params = params }
  M.last = view
  local keys = config.get().keymaps
  float.map(handle, keys.pin, function()
    toggle(view, M.pinned, M.excluded)
  end, 'rrag: pin item')
  float.map(handle, keys.exclude, function()
    toggle(view, M.excluded, M.pinned)
  end, 'rrag: exclude item')
  float.map(handle, keys.refresh, function()
    request(view)
  end, 'rrag: refresh')
  float.map(handle, keys.jump, function()
    local item = item_under_cursor(view)
    if item and item.path then
      float.jump(handle, view.root, item.file or item.path, item.start_line)
    end
  end, 'rrag: jump to item')
  if not request(view) then
    handle.close()
  end
  return view
end

return M
