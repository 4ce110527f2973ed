-- rrag.ui.status: indexing progress (statusline, start/end notifications) and :RragStatus.

local float = require('rrag.ui.float')
local log = require('rrag.log')
local rpc = require('rrag.rpc')

local M = { progress = {}, last_index = nil, last = nil } -- progress: root -> {phase, done, total}

--- For 'statusline': the running index phase and counts (the engine's words, the same Vim
--- shows: python/rrag/bridge/views.py progress_text), or '' when nothing runs.
function M.statusline()
  local _, p = next(M.progress)
  if p then
    return p.text or 'rrag: indexing'
  end
  return ''
end

local function redraw()
  pcall(vim.cmd.redrawstatus)
end

--- Start an index (kind 'index') or a quiet re-index after :w (kind 'reindex').
function M.index(kind, params, notify)
  local key
  local id = rpc.request(kind, params, {
    supersede = false,
    on_progress = function(ev)
      key = ev.root
      M.progress[key] = { phase = ev.phase, done = ev.done, total = ev.total, text = ev.text }
      redraw()
    end,
    on_result = function(result, ev)
      if key then
        M.progress[key] = nil
      end
      M.last_index = { root = ev.root, result = result, at = os.time(), kind = kind }
      redraw()
      if notify and not result.skipped then
        log.notify(ev.view.summary)
      end
    end,
    on_error = function(err, ev)
      if key then
        M.progress[key] = nil
      end
      M.last_index = { root = ev and ev.root, error = err, at = os.time(), kind = kind }
      redraw()
      log.error(err.text)
    end,
    on_cancel = function()
      if key then
        M.progress[key] = nil
      end
      redraw()
      if notify then
        log.notify('rrag: indexing cancelled')
      end
    end,
  })
  if id and notify then
    log.notify(
      ('rrag: indexing the workspace of %s…'):format(vim.fn.fnamemodify(params.path, ':~:.'))
    )
  end
  return id
end

-- The report is the engine's view (python/rrag/bridge/views.py status_lines), the lines Vim
-- shows too; the running progress and this editor's log file are added here.
local function render(view, shown)
  local lines = vim.deepcopy(shown.lines)
  local running = M.statusline()
  if running ~= '' then
    table.insert(lines, 1, ('%-15s %s'):format('progress', running))
  end
  vim.list_extend(lines, { '', 'Log: ' .. log.file() })
  float.set_lines(view.float, lines)
  float.set_footer(view.float, 'q closes')
end

function M.open(params)
  local handle = float.open({
    replaces = M.last and M.last.float,
    title = 'rrag: status',
    footer = 'asking the engine…',
    filetype = 'rrag-status',
  })
  local view = { float = handle, buf = handle.buf }
  M.last = view
  view.id = rpc.request('status', params, {
    on_result = function(result, ev)
      view.result = result
      if handle.valid() then
        render(view, ev.view)
      end
    end,
    on_error = function(err)
      view.error = err
      log.error(err.text)
      float.set_footer(handle, 'failed')
    end,
  })
  if not view.id then
    handle.close()
  end
  return view
end

return M
