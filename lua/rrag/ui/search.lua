-- rrag.ui.search: :RragSearch — the engine's hybrid search (BM25 + vectors + graph, over the
-- workspace and its locked dependencies) as a quickfix list, best first.
--
-- A quickfix list rather than a float: it is what :cnext, :cfdo, Telescope's quickfix picker
-- and every other list tool already work with. A dependency's result opens in that crate's own
-- sources at the locked version.

local log = require('rrag.log')
local rpc = require('rrag.rpc')

local M = { last = nil } -- the latest search's state, for tests

-- The entries are the engine's view (python/rrag/bridge/views.py search_view), Vim's too.
local function entries(shown)
  local items = {}
  for _, t in ipairs(shown.sources or {}) do
    table.insert(items, { filename = t.path, lnum = t.line, end_lnum = t.end_line, text = t.text })
  end
  return items
end

--- params: the request (path of the current buffer, query).
function M.run(params)
  local view = { query = params.query, done = false }
  M.last = view
  view.id = rpc.request('search', params, {
    on_result = function(result, ev)
      view.done, view.result = true, result
      local items = entries(ev.view)
      if #items == 0 then
        return log.notify(('rrag: nothing in the index matches "%s"'):format(params.query))
      end
      vim.fn.setqflist({}, ' ', { title = ev.view.title, items = items })
      vim.cmd('botright copen')
    end,
    on_error = function(err)
      view.done, view.error = true, err
      log.error(err.text)
    end,
  })
  return view.id
end

return M
