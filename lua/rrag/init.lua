-- rrag: the public Lua API (:help rrag-api). Commands in plugin/rrag.lua call these; each
-- gathers the buffer's context and hands it to a ui module, which talks to Python via rrag.rpc.

local M = {}

local function lazy(name)
  return setmetatable({}, {
    __index = function(_, k)
      return require(name)[k]
    end,
  })
end

local config = lazy('rrag.config')
local log = lazy('rrag.log')
local status = lazy('rrag.ui.status')

--- Validate and apply options (:help rrag-config). Optional: the defaults apply without it.
function M.setup(opts)
  if vim.fn.has('nvim-0.10') ~= 1 then
    return vim.notify(
      'rrag: Neovim 0.10 or newer is required',
      vim.log.levels.ERROR,
      { title = 'rrag' }
    )
  end
  require('rrag.config').setup(opts)
  require('rrag.highlights').setup()
  require('rrag.rpc').send_setup()
end

--- Where the request is about: file, cursor line, and the command's range if it has one.
function M.here(opts)
  local win = vim.api.nvim_get_current_win()
  local origin = vim.b.rrag_origin_win
  if vim.w[win].rrag_float and origin and vim.api.nvim_win_is_valid(origin) then
    win = origin -- a command typed inside an rrag float is about the code the float came from
    opts = nil
  end
  local bufnr = vim.api.nvim_win_get_buf(win)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local ctx = {
    bufnr = bufnr,
    changedtick = vim.b[bufnr].changedtick,
    path = name ~= '' and vim.fn.fnamemodify(name, ':p') or nil,
    line = vim.api.nvim_win_get_cursor(win)[1],
  }
  if opts and opts.range and opts.range > 0 then
    ctx.selection = { opts.line1, opts.line2 }
  end
  return ctx
end

function M.need_file(ctx, what)
  if ctx.path then
    return true
  end
  log.error(
    ('rrag: %s needs a buffer with a file of a Rust project (this one has no name)'):format(what)
  )
  return false
end

function M.ask(opts)
  local ctx, question = M.here(opts), vim.trim(opts and opts.args or '')
  local function go(q)
    if not q or vim.trim(q) == '' then
      return
    end
    ctx.question = q
    ctx = vim.tbl_extend('force', ctx, require('rrag.ui.context').selection())
    require('rrag.ui.answer').open('ask', ctx, 'rrag: ' .. q)
  end
  if question == '' then
    return vim.ui.input({ prompt = 'rrag ask: ' }, go)
  end
  go(question)
end

function M.explain(opts)
  local ctx = M.here(opts)
  if M.need_file(ctx, ':RragExplain') then
    require('rrag.ui.answer').open('explain', ctx, 'rrag: explain')
  end
end

function M.refactor(opts)
  local ctx = M.here(opts)
  ctx.instruction = vim.trim(opts and opts.args or '')
  if ctx.instruction == '' then
    return log.error(
      "rrag: :RragRefactor needs an instruction, e.g. :'<,'>RragRefactor use iterators"
    )
  end
  if not M.need_file(ctx, ':RragRefactor') then
    return
  end
  ctx.selection = ctx.selection or { ctx.line, ctx.line }
  require('rrag.ui.refactor').start(ctx)
end

function M.context(opts)
  local ctx = M.here(opts)
  if not M.need_file(ctx, ':RragContext') then
    return
  end
  ctx.query = opts and opts.args ~= '' and opts.args or nil
  require('rrag.ui.context').open(ctx)
end

function M.search(opts)
  local ctx, query = M.here(), vim.trim(opts and opts.args or '')
  local function go(q)
    if not q or vim.trim(q) == '' then
      return
    end
    require('rrag.ui.search').run({ path = ctx.path or vim.fn.getcwd(), query = vim.trim(q) })
  end
  if query == '' then
    return vim.ui.input({ prompt = 'rrag search: ' }, go)
  end
  go(query)
end

function M.upgrade(opts)
  local params, problem = require('rrag.ui.upgrade').parse_args(opts and opts.args)
  if not params then
    return log.error(problem)
  end
  params.path = M.here().path or vim.fn.getcwd()
  return require('rrag.ui.upgrade').run(params)
end

function M.index()
  local ctx = M.here()
  return status.index('index', { path = ctx.path or vim.fn.getcwd() }, config.get().notify_progress)
end

function M.status()
  return status.open({ path = M.here().path or vim.fn.getcwd() })
end

--- :RragModel [name]: the picker float, or pick `name` at once.
function M.model(opts)
  local name = vim.trim(opts and opts.args or '')
  if name ~= '' then
    return require('rrag.ui.models').use(name)
  end
  return require('rrag.ui.models').open({ path = M.here().path or vim.fn.getcwd() })
end

function M.cancel()
  local n = require('rrag.rpc').cancel()
  log.notify(('rrag: cancelled %d request%s'):format(n, n == 1 and '' or 's'))
end

local timers = {}

--- BufWritePost: re-index the written file's workspace after `debounce_ms` of quiet.
function M.on_write(bufnr)
  local cfg = config.get()
  if not cfg.auto_index then
    return
  end
  local path = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':p')
  local timer = timers[path] or vim.uv.new_timer()
  timers[path] = timer
  timer:start(
    cfg.debounce_ms,
    0,
    vim.schedule_wrap(function()
      timer:stop()
      status.index('reindex', { path = path }, false)
    end)
  )
end

local checks = {}

--- FocusGained / BufEnter: bring the workspace's index up to date with the disk (a checkout or
--- another editor may have changed it) after `debounce_ms`, so the next request is quick. Only
--- while the host runs: a session that never used rrag does not start it.
function M.on_focus(bufnr)
  local cfg = config.get()
  local rpc = require('rrag.rpc')
  if not cfg.auto_index or not rpc.running() then
    return
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' then
    return
  end
  local path = vim.fn.fnamemodify(name, ':p')
  local root = vim.fs.root(path, 'Cargo.toml') or path
  local timer = checks[root] or vim.uv.new_timer()
  checks[root] = timer
  timer:start(
    cfg.debounce_ms,
    0,
    vim.schedule_wrap(function()
      timer:stop()
      rpc.request('check', { path = path }, {
        supersede = false,
        on_result = function(result)
          M.last_check = result
        end, -- {fresh, reason}, for tests
      })
    end)
  )
end

function M.statusline()
  return package.loaded['rrag.ui.status'] and status.statusline() or ''
end

return M
