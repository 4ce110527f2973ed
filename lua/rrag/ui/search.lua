-- rrag.ui.search: :RragSearch — the engine's hybrid search (BM25 + vectors + graph, over the
-- workspace and its locked dependencies) as a quickfix list, best first.
--
-- A quickfix list rather than a float: it is what :cnext, :cfdo, Telescope's quickfix picker
-- and every other list tool already work with. A dependency's result opens in that crate's own
-- sources at the locked version.

local float = require('rrag.ui.float')
local log = require('rrag.log')
local rpc = require('rrag.rpc')

local M = { last = nil } -- the latest search's state, for tests

local function entries(results)
  local items = {}
  for _, r in ipairs(results or {}) do
    table.insert(items, {
      filename = r.file or r.path, lnum = r.start_line or 1, end_lnum = r.end_line,
      text = ('%-8s %s  (%.2f%s)'):format(r.kind or '', r.name or '', r.score or 0,
        r.version and (', ' .. float.where(r)) or ''),
    })
  end
  return items
end

--- params: the request (path of the current buffer, query).
function M.run(params)
  local view = { query = params.query, done = false }
  M.last = view
  view.id = rpc.request('search', params, {
    on_result = function(result)
      view.done, view.result = true, result
      local items = entries(result.results)
      if #items == 0 then return log.notify(('rrag: nothing in the index matches "%s"'):format(params.query)) end
      vim.fn.setqflist({}, ' ', { title = 'rrag search: ' .. params.query, items = items })
      vim.cmd('botright copen')
    end,
    on_error = function(err) view.done, view.error = true, err log.error(err.text) end,
  })
  return view.id
end

return M
