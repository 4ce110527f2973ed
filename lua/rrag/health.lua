-- rrag.health: :checkhealth rrag. Each finding is ok / warn / error with a one-line fix.
-- The Python side answers one synchronous `doctor` request (python/rrag/bridge/doctor.py).

local M = {}

local function report(health, check)
  local text = ('%s: %s'):format(
    check.name,
    check.value == nil and 'missing' or tostring(check.value)
  )
  if check.level == 'info' then
    health.info(text)
  elseif check.level == 'warn' then
    health.warn(text, { check.fix })
  elseif check.ok then
    health.ok(text)
  elseif check.name == 'cargo' or check.name == 'std names' then
    health.warn(text, { check.fix })
  else
    health.error(text, { check.fix })
  end
end

local function is_index_check(check)
  return check.name == 'index'
    or check.name == 'workspace'
    or check.name == 'llm.model_path'
    or check.name == 'embed.model'
    or check.name:match('model$') ~= nil
end

--- The file the user was editing: :checkhealth has already opened its own buffer.
function M.user_file()
  local infos = vim.fn.getbufinfo({ buflisted = 1 })
  table.sort(infos, function(a, b)
    return a.lastused > b.lastused
  end)
  for _, info in ipairs(infos) do
    if info.name ~= '' and vim.bo[info.bufnr].buftype == '' and vim.uv.fs_stat(info.name) then
      return info.name
    end
  end
end

function M.check()
  local health = vim.health
  local cfg = require('rrag.config').get()
  local rpc = require('rrag.rpc')

  health.start('rrag: Neovim')
  local v = vim.version()
  local version = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.10') == 1 then
    health.ok('Neovim ' .. version)
  else
    health.error('Neovim ' .. version, { 'rrag needs Neovim 0.10 or newer' })
  end

  health.start('rrag: Python host')
  health.info(('transport: %s'):format(cfg.transport))
  if cfg.transport == 'rplugin' then
    if vim.fn.has('python3') == 1 then
      health.ok('python3 provider: ' .. tostring(vim.g.python3_host_prog or 'python3'))
    else
      health.error('the python3 provider is not available', {
        "set g:python3_host_prog to a Python with pynvim, see :checkhealth provider, or use transport = 'job'",
      })
    end
    if rpc.rplugin_registered() then
      health.ok('remote plugin registered (_rrag_init)')
    else
      health.error('remote plugin not registered', {
        'run :UpdateRemotePlugins and restart Neovim',
        "or use transport = 'job' (the default), which needs neither",
      })
    end
  elseif vim.fn.executable(cfg.python) == 1 then
    health.ok(('python: %s'):format(vim.fn.exepath(cfg.python)))
  else
    health.error(("python '%s' is not executable"):format(cfg.python), {
      'set g:rrag_python or setup({ python = ... }) to the Python of a virtualenv with rrag'
        .. ' installed (make setup creates .venv)',
    })
    return
  end

  local ok, result = rpc.request_sync('doctor', { path = M.user_file() or vim.fn.getcwd() })
  if not ok or type(result) ~= 'table' or result.error then
    health.error(
      'the Python host did not answer: '
        .. (type(result) == 'table' and vim.inspect(result.error) or tostring(result)),
      {
        ('run %s -m rrag doctor to see what is missing'):format(cfg.python),
        'install the dependencies: make setup in ' .. require('rrag.config').plugin_root(),
      }
    )
    return
  end
  health.ok(
    ('host answered (pid %s)'):format(
      result.host and result.host.host and result.host.host.pid or '?'
    )
  )

  health.start('rrag: Python packages and SQLite')
  local rest = {}
  for _, check in ipairs(result.checks or {}) do
    if is_index_check(check) then
      table.insert(rest, check)
    else
      report(health, check)
    end
  end

  health.start('rrag: models and index')
  for _, check in ipairs(rest) do
    report(health, check)
  end
  health.info(
    'cache: ' .. tostring(result.cache_dir) .. ', models: ' .. tostring(result.models_dir)
  )
  health.info(
    (
      'still having problems? see %s, and start Neovim with'
      .. ' NVIM_PYTHON_LOG_FILE=/tmp/nvim-py.log for the host log'
    ):format(require('rrag.log').file())
  )
end

return M
