-- rrag.rpc: the only Lua module that knows the channel to Python and the method names.
--
-- Starts the host lazily (transport 'job': `python -m rrag.host` as an RPC job from the
-- configured interpreter; 'rplugin': the :UpdateRemotePlugins host via _rrag_init()), numbers
-- requests, and receives every event Python sends through _on_event(). Results that went stale
-- are dropped here and logged, as conform drops a format whose changedtick moved: the buffer is
-- gone, it changed (for requests that ask for that), the requested lines changed, or a newer
-- request of the same kind replaced it.

local config = require('rrag.config')
local log = require('rrag.log')

local M = {}

-- Every method, its RPC name and stale policy: generated from python/rrag/protocol.py.
local protocol = require('rrag.methods')
local METHODS = protocol.methods

local state =
  { chan = nil, job = nil, next_id = 0, pending = {}, latest = {}, stderr = {}, dropped = 0 }
M.state = state

local function fix_for(python)
  return (
    'check :checkhealth rrag; set g:rrag_python (or setup{ python = ... }) to a Python with '
    .. "rrag's dependencies, e.g. run `make setup` in %s (now: %s)"
  ):format(config.plugin_root(), python)
end

local function fail_pending(text)
  for id, req in pairs(state.pending) do
    state.pending[id] = nil
    if req.h.on_error then
      pcall(req.h.on_error, { code = 'host', text = text, message = text })
    end
  end
end

local function on_exit(job, code)
  if job ~= state.job then
    return
  end -- an older host we stopped on purpose
  state.chan, state.job = nil, nil
  if state.stopping then
    return
  end
  local last = state.stderr[#state.stderr] or ''
  local text = ('rrag: the Python host exited (code %d)%s (%s)'):format(
    code,
    last ~= '' and (': ' .. last) or '',
    fix_for(config.get().python)
  )
  log.error(text)
  fail_pending(text)
end

local function start_job(cfg)
  if vim.fn.executable(cfg.python) ~= 1 then
    log.error(
      ("rrag: Python interpreter '%s' not found (%s)"):format(cfg.python, fix_for(cfg.python))
    )
    return nil
  end
  local pythonpath = config.plugin_root() .. '/python'
  if vim.env.PYTHONPATH and vim.env.PYTHONPATH ~= '' then
    pythonpath = pythonpath .. ':' .. vim.env.PYTHONPATH
  end
  state.stderr, state.stopping = {}, false
  local ok, chan = pcall(vim.fn.jobstart, { cfg.python, '-m', 'rrag.host' }, {
    rpc = true,
    env = { PYTHONPATH = pythonpath },
    on_stderr = function(_, data)
      for _, line in ipairs(data or {}) do
        if line ~= '' then
          table.insert(state.stderr, line)
          log.warn('host: ' .. line)
          if #state.stderr > 50 then
            table.remove(state.stderr, 1)
          end
        end
      end
    end,
    on_exit = on_exit,
  })
  if not ok or chan <= 0 then
    log.error(
      ('rrag: could not start %s -m rrag.host: %s (%s)'):format(
        cfg.python,
        tostring(chan),
        fix_for(cfg.python)
      )
    )
    return nil
  end
  state.job = chan
  return chan
end

--- Whether the remote-plugin manifest registered rrag: the manifest defines _rrag_init lazily,
--- through a FuncUndefined autocmd, so exists('*_rrag_init') alone is 0 until the first call.
function M.rplugin_registered()
  return vim.fn.exists('*_rrag_init') == 1 or vim.fn.exists('#FuncUndefined#_rrag_init') == 1
end

local function start_rplugin()
  if not M.rplugin_registered() then
    log.error(
      'rrag: the remote plugin is not registered'
        .. " (run :UpdateRemotePlugins and restart Neovim, or use transport = 'job')"
    )
    return nil
  end
  local ok, chan = pcall(vim.fn._rrag_init)
  if not ok or type(chan) ~= 'number' or chan <= 0 then
    log.error(
      (
        'rrag: the python3 remote plugin host failed: %s'
        .. ' (check :checkhealth provider and g:python3_host_prog)'
      ):format(tostring(chan))
    )
    return nil
  end
  return chan
end

--- The channel to the host, started on first use.
function M.channel()
  if state.chan then
    return state.chan
  end
  local cfg = config.get()
  local chan = cfg.transport == 'rplugin' and start_rplugin() or start_job(cfg)
  if not chan then
    return nil
  end
  state.chan = chan
  require('rrag.buffers').reset() -- a new host has none of the texts sent to an old one
  vim.api.nvim_create_autocmd('VimLeavePre', {
    once = true,
    callback = function()
      state.stopping = true
    end,
  })
  M.send_setup()
  return chan
end

function M.running()
  return state.chan ~= nil
end

--- Send the engine options (again, after a later setup() call).
function M.send_setup()
  if state.chan then
    M.next_id()
    vim.rpcnotify(
      state.chan,
      METHODS.setup.rpc_name,
      { id = state.next_id, engine = config.engine_overrides() }
    )
  end
end

function M.next_id()
  state.next_id = state.next_id + 1
  return state.next_id
end

--- Send a request; events for it reach `handlers` (on_token, on_progress, on_result, on_error,
--- on_cancel, on_drop). The method's stale policy comes from the protocol; a method with
--- line_guard takes `handlers.guard` = { bufnr, first, last, lines } (drop when those lines
--- changed). Returns the request id.
function M.request(kind, params, handlers)
  local method = METHODS[kind]
  assert(method, 'unknown rrag request kind ' .. tostring(kind))
  assert(
    method.line_guard or not (handlers or {}).guard,
    kind .. ' has no line guard in the protocol'
  )
  local chan = M.channel()
  if not chan then
    return nil
  end
  local id = M.next_id()
  params.id = id
  local req = {
    id = id,
    kind = kind,
    method = method,
    h = handlers or {},
    bufnr = params.bufnr,
    changedtick = params.changedtick,
  }
  if method.supersede then
    state.latest[kind] = id
  end
  state.pending[id] = req
  if method.carries_buffers then
    params.buffers = require('rrag.buffers').collect()
  end
  vim.rpcnotify(chan, method.rpc_name, params)
  return id
end

--- A blocking request (only :checkhealth uses it). Returns ok, result-or-error-text.
function M.request_sync(kind, params)
  local chan = M.channel()
  if not chan then
    return false, 'the host did not start: ' .. table.concat(state.stderr, ' ')
  end
  local ok, result = pcall(vim.rpcrequest, chan, METHODS[kind].rpc_name, params or {})
  if not ok then
    return false, tostring(result) .. ' ' .. table.concat(state.stderr, ' ')
  end
  return true, result
end

function M.is_pending(id)
  return id ~= nil and state.pending[id] ~= nil
end

--- Cancel one request (id) or all; Python stops the work, further events are dropped.
function M.cancel(id)
  local n = 0
  for pid, req in pairs(state.pending) do
    if id == nil or pid == id then
      state.pending[pid] = nil
      n = n + 1
      if req.h.on_cancel then
        pcall(req.h.on_cancel)
      end
    end
  end
  if state.chan then
    vim.rpcnotify(state.chan, METHODS.cancel.rpc_name, { id = id })
  end
  return n
end

local function same_lines(a, b)
  if #a ~= #b then
    return false
  end
  for i = 1, #a do
    if a[i] ~= b[i] then
      return false
    end
  end
  return true
end

local function stale_reason(req)
  if req.method.supersede and state.latest[req.kind] ~= req.id then
    return ('a newer %s request replaced it'):format(req.kind)
  end
  if req.bufnr and not vim.api.nvim_buf_is_valid(req.bufnr) then
    return ('buffer %d is gone'):format(req.bufnr)
  end
  if
    req.method.drop_on_edit
    and req.changedtick
    and vim.b[req.bufnr].changedtick ~= req.changedtick
  then
    return ('buffer %d changed since the request'):format(req.bufnr)
  end
  local g = req.h.guard
  if
    g and not same_lines(vim.api.nvim_buf_get_lines(g.bufnr, g.first - 1, g.last, false), g.lines)
  then
    return ('lines %d-%d changed since the request'):format(g.first, g.last)
  end
end

local FINAL = protocol.final_events

local function drop(ev, reason)
  state.dropped = state.dropped + 1
  log.info(
    ('dropped %s %s for request %s: %s'):format(ev.kind or '', ev.type, tostring(ev.id), reason)
  )
end

--- Every event from Python arrives here (see python/rrag/bridge/events.py).
function M._on_event(ev)
  local req = ev.id and state.pending[ev.id]
  if not req then
    if ev.type == 'error' and ev.kind == 'setup' then
      return log.error(ev.error.text)
    end
    if ev.type == 'error' and ev.id == nil then
      return log.error(ev.error.text)
    end
    return drop(ev, 'no pending request (finished, cancelled or unknown)')
  end
  local reason = stale_reason(req)
  if reason then
    drop(ev, reason)
    if FINAL[ev.type] then
      state.pending[ev.id] = nil
      if req.h.on_drop then
        req.h.on_drop(reason, ev)
      end
    end
    return
  end
  if FINAL[ev.type] then
    state.pending[ev.id] = nil
  end
  local ok, err = pcall(M._dispatch, req.h, ev)
  if not ok then
    log.error(
      ('rrag: internal error while showing a %s %s: %s'):format(ev.kind or '', ev.type, err)
    )
  end
end

function M._dispatch(h, ev)
  if ev.type == 'token' then
    if h.on_token then
      h.on_token(ev.text, ev)
    end
  elseif ev.type == 'progress' then
    if h.on_progress then
      h.on_progress(ev)
    end
  elseif ev.type == 'result' then
    if h.on_result then
      h.on_result(ev.result or {}, ev)
    end
  elseif ev.type == 'error' then
    if h.on_error then
      h.on_error(ev.error, ev)
    else
      log.error(ev.error.text)
    end
  elseif ev.type == 'cancelled' then
    if h.on_cancel then
      h.on_cancel(ev)
    end
  end
end

--- Stop the host; the next request starts a new one.
function M.stop()
  if state.job then
    state.stopping = true
    vim.fn.jobstop(state.job)
  end
  state.chan, state.job = nil, nil
end

return M
