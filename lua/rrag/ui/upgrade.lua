-- rrag.ui.upgrade: :RragUpgrade — what a dependency's new version breaks in this workspace.
--
-- The sites fill a quickfix list (:cnext, :cfdo and every list tool work on it), titled with
-- the crate, both versions and the counts. `K` on an entry of that list opens a float beside
-- it with the change, the old and the new signature and the new version's docs; `F` asks the
-- model for a fix of the site's item (the :RragRefactor diff, to accept or reject). The text
-- is built once in Python (bridge/upgrade_view.py), so Vim's popup shows the very same lines.

local float = require('rrag.ui.float')
local log = require('rrag.log')
local rpc = require('rrag.rpc')

local M = { last = nil, float = nil } -- the latest request's state and detail float, for tests

--- args: '' (the lock change the index saw), 'CRATE', or 'CRATE FROM TO'.
function M.parse_args(args)
  local words = vim.split(vim.trim(args or ''), '%s+', { trimempty = true })
  if #words ~= 0 and #words ~= 1 and #words ~= 3 then
    return nil,
      'rrag: :RragUpgrade takes no argument, a crate, or a crate and two versions (:RragUpgrade semver 0.9.0 1.0.14)'
  end
  return { crate = words[1], from = words[2], to = words[3] }
end

--- The detail float of the list's entry `index` (1-based), beside the cursor.
function M.show(index)
  local view = M.last and M.last.result and M.last.result.view
  local entry = view and view.entries[index]
  if not entry then
    return nil
  end
  M.float = float.open({
    replaces = M.float,
    title = 'rrag upgrade',
    lines = entry.detail,
    anchor = 'cursor',
    width = 0.7,
    height = math.min(#entry.detail + 1, 30),
  })
  return M.float
end

--- `F`: the model's fix of entry `index` — the refactor of the site's item, with both
--- versions' definitions in its instruction, shown as the usual diff to accept or reject.
function M.fix(index)
  local view = M.last and M.last.result and M.last.result.view
  local entry = view and view.entries[index]
  if not entry then
    return nil
  end
  vim.cmd('cc ' .. index) -- the site's file, in the window the list belongs to
  return require('rrag').refactor({
    args = entry.fix.instruction,
    range = 2,
    line1 = entry.fix.start,
    line2 = entry.fix['end'],
  })
end

local function fill(result)
  local items = {}
  for i, e in ipairs(result.view.entries) do
    items[i] = { filename = e.file, lnum = e.lnum, col = 1, text = e.text }
  end
  vim.fn.setqflist({}, ' ', { title = result.view.title, items = items })
  vim.cmd('botright copen')
  vim.keymap.set(
    'n',
    'K',
    function()
      M.show(vim.fn.line('.'))
    end,
    { buffer = 0, nowait = true, silent = true, desc = 'rrag: old and new signature of this site' }
  )
  vim.keymap.set('n', 'F', function()
    M.fix(vim.fn.line('.'))
  end, { buffer = 0, nowait = true, silent = true, desc = "rrag: the model's fix of this site" })
end

--- params: the request (path of the current buffer, crate, from, to).
function M.run(params)
  local view = { done = false }
  M.last = view
  view.id = rpc.request('upgrade', params, {
    on_result = function(result)
      view.done, view.result = true, result
      if #result.view.entries == 0 then
        return log.notify(
          ('rrag: %s %s -> %s breaks nothing the index can see (%d API changes)'):format(
            result.crate,
            result.from,
            result.to,
            #result.changes
          )
        )
      end
      fill(result)
    end,
    on_error = function(err)
      view.done, view.error = true, err
      log.error(err.text)
    end,
  })
  return view.id
end

return M
