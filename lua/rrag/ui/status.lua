-- rrag.ui.status: indexing progress (statusline, start/end notifications) and :RragStatus.

local float = require('rrag.ui.float')
local log = require('rrag.log')
local rpc = require('rrag.rpc')

local M = { progress = {}, last_index = nil, last = nil } -- progress: root -> {phase, done, total}

-- The words `rrag index` prints on stderr for each phase (python/rrag/service/progress.py).
local LABELS = { resolve = 'resolving dependencies', indexing = 'files parsed',
  dependencies = 'dependency crates', graph = 'graph', embed = 'vectors' }

--- For 'statusline': the running index phase and counts, or '' when nothing runs.
function M.statusline()
  for _, p in pairs(M.progress) do
    local label = LABELS[p.phase] or p.phase or 'indexing'
    if p.total and p.total > 0 then
      return ('rrag: %s %d/%d'):format(label, p.done, p.total)
    end
    return ('rrag: %s'):format(label)
  end
  return ''
end

local function redraw() pcall(vim.cmd.redrawstatus) end

local function summary(result, root)
  local r, s = result.report or {}, result.stats or {}
  return ('rrag: indexed %s: %d files parsed, %d unchanged, %d removed; %d items, %d vectors in %.1f s%s'):format(
    root or s.root or '?', r.files_parsed or 0, r.files_unchanged or 0, r.files_removed or 0,
    s.items or r.items or 0, s.vectors or 0, r.seconds or 0,
    (r.errors and #r.errors > 0) and (' (%d problems, see :RragStatus)'):format(#r.errors) or '')
end

--- Start an index (kind 'index') or a quiet re-index after :w (kind 'reindex').
function M.index(kind, params, notify)
  local key
  local id = rpc.request(kind, params, {
    supersede = false,
    on_progress = function(ev)
      key = ev.root
      M.progress[key] = { phase = ev.phase, done = ev.done, total = ev.total }
      redraw()
    end,
    on_result = function(result, ev)
      if key then M.progress[key] = nil end
      M.last_index = { root = ev.root, result = result, at = os.time(), kind = kind }
      redraw()
      if notify and not result.skipped then log.notify(summary(result, ev.root)) end
    end,
    on_error = function(err, ev)
      if key then M.progress[key] = nil end
      M.last_index = { root = ev and ev.root, error = err, at = os.time(), kind = kind }
      redraw()
      log.error(err.text)
    end,
    on_cancel = function()
      if key then M.progress[key] = nil end
      redraw()
      if notify then log.notify('rrag: indexing cancelled') end
    end,
  })
  if id and notify then log.notify(('rrag: indexing the workspace of %s…'):format(vim.fn.fnamemodify(params.path, ':~:.'))) end
  return id
end

local function fmt(value)
  if type(value) == 'table' then return vim.inspect(value, { newline = ' ', indent = '' }) end
  return tostring(value)
end

local function render(view, result)
  local lines, host = {}, result.host or {}
  local order = { 'root', 'db', 'files', 'items', 'edges', 'vectors', 'embed_pending', 'model', 'schema_version', 'db_bytes', 'dependency_cfg' }
  for _, key in ipairs(order) do
    if result[key] ~= nil then table.insert(lines, ('%-15s %s'):format(key, fmt(result[key]))) end
  end
  table.insert(lines, ('%-15s %s (%s, pid %s)'):format('host', host.python or '?', host.transport or '?', host.pid or '?'))
  table.insert(lines, ('%-15s %s queued%s'):format('jobs', host.jobs_queued or 0,
    (host.running or '') ~= '' and (', running: ' .. host.running) or ''))
  if result.freshness and result.freshness.text then
    table.insert(lines, ('%-15s %s'):format('freshness', result.freshness.text))
  end
  local running = M.statusline()
  if running ~= '' then table.insert(lines, ('%-15s %s'):format('progress', running)) end
  table.insert(lines, '')
  table.insert(lines, 'Last errors:')
  local errors = vim.list_extend(vim.deepcopy(result.last_errors or {}), host.errors or {})
  for _, err in ipairs(errors) do
    table.insert(lines, '  ' .. (type(err) == 'table' and (err.text or err.message or fmt(err)) or tostring(err)))
  end
  if #errors == 0 then table.insert(lines, '  (none)') end
  table.insert(lines, '')
  table.insert(lines, 'Log: ' .. log.file())
  float.set_lines(view.float, lines)
  float.set_footer(view.float, 'q closes')
end

function M.open(params)
  if M.last and M.last.float.valid() then M.last.float.close() end
  local handle = float.open({ title = 'rrag: status', footer = 'asking the engine…', filetype = 'rrag-status' })
  local view = { float = handle, buf = handle.buf }
  M.last = view
  view.id = rpc.request('status', params, {
    on_result = function(result) view.result = result if handle.valid() then render(view, result) end end,
    on_error = function(err) view.error = err log.error(err.text) float.set_footer(handle, 'failed') end,
  })
  if not view.id then handle.close() end
  return view
end

return M
