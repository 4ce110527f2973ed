-- rrag.config: the options of require('rrag').setup(), their defaults and validation.
--
-- A gitsigns-style schema: each key has a type, a default and a description (doc/rrag.txt
-- lists the same keys; a test fails when one is undocumented). The `engine` table mirrors
-- python/rrag/config.py through the generated engine_schema.lua and is forwarded to Python.
-- Unknown keys are ignored with one warning each, naming the closest valid key.

local M = {}

local function plugin_root()
  local source = debug.getinfo(1, 'S').source:sub(2)
  return vim.fn.fnamemodify(source, ':p:h:h:h')
end

local function default_python()
  if type(vim.g.rrag_python) == 'string' and vim.g.rrag_python ~= '' then
    return vim.g.rrag_python
  end
  local venv = plugin_root() .. '/.venv/bin/python'
  return vim.fn.executable(venv) == 1 and venv or 'python3'
end

M.plugin_root = plugin_root

---@type table<string, {type: string|string[], default: any, desc: string, enum?: string[]}>
M.schema = {
  python = {
    type = 'string',
    default = default_python,
    desc = "Python running the engine: g:rrag_python, else the plugin's .venv/bin/python, else python3",
  },
  transport = {
    type = 'string',
    default = 'job',
    enum = { 'job', 'rplugin' },
    desc = "'job': start `python -m rrag.host` as an RPC job; 'rplugin': the :UpdateRemotePlugins host",
  },
  auto_index = {
    type = 'boolean',
    default = true,
    desc = 're-index a Rust file of an indexed workspace when it is written',
  },
  debounce_ms = {
    type = 'integer',
    default = require('rrag.methods').reindex_debounce_ms,
    desc = 'wait this long after the last :w before re-indexing',
  },
  notify_progress = {
    type = 'boolean',
    default = true,
    desc = 'vim.notify when :RragIndex starts and ends',
  },
  float = {
    type = 'table',
    desc = 'floating windows',
    default = {
      border = {
        type = { 'string', 'list' },
        default = 'rounded',
        desc = "border: 'rounded', 'single', 'none', or 8 chars",
      },
      width = {
        type = 'number',
        default = 0.7,
        desc = 'width: a fraction of the editor (<= 1) or columns',
      },
      height = {
        type = 'number',
        default = 0.6,
        desc = 'height: a fraction of the editor (<= 1) or lines',
      },
    },
  },
  keymaps = {
    type = 'table',
    desc = 'keys inside rrag floats (a key, a list of keys, or false)',
    default = {
      close = {
        type = { 'string', 'list', 'boolean' },
        default = { 'q', '<Esc>' },
        desc = 'close the float',
      },
      jump = {
        type = { 'string', 'list', 'boolean' },
        default = '<CR>',
        desc = 'jump to the source under the cursor',
      },
      accept = { type = { 'string', 'list', 'boolean' }, default = 'a', desc = 'accept a refactor' },
      reject = { type = { 'string', 'list', 'boolean' }, default = 'r', desc = 'reject a refactor' },
      pin = {
        type = { 'string', 'list', 'boolean' },
        default = 'p',
        desc = 'pin a context item for the next requests',
      },
      exclude = {
        type = { 'string', 'list', 'boolean' },
        default = 'x',
        desc = 'exclude a context item from the next requests',
      },
      refresh = {
        type = { 'string', 'list', 'boolean' },
        default = 'R',
        desc = 'recompute the context float',
      },
    },
  },
  engine = {
    type = 'table',
    desc = 'engine options, forwarded to Python (see python/rrag/config.py)',
    default = vim.tbl_map(function(fields)
      return { type = 'table', desc = 'engine section', default = fields }
    end, require('rrag.engine_schema')),
  },
}

local function is_list(v)
  return type(v) == 'table' and (vim.tbl_isempty(v) or vim.islist(v))
end

local function type_ok(expected, value)
  for _, t in ipairs(type(expected) == 'table' and expected or { expected }) do
    if t == 'integer' and type(value) == 'number' and math.floor(value) == value then
      return true
    end
    if t == 'list' and is_list(value) then
      return true
    end
    if t == 'table' and type(value) == 'table' then
      return true
    end
    if t == type(value) and t ~= 'table' then
      return true
    end
  end
  return false
end

local function distance(a, b)
  local prev = {}
  for j = 0, #b do
    prev[j] = j
  end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

local function closest(name, schema)
  local best, best_d
  for key in pairs(schema) do
    local d = distance(name, key)
    if not best_d or d < best_d or (d == best_d and key < best) then
      best, best_d = key, d
    end
  end
  if best and best_d <= math.max(2, math.floor(#name / 3)) then
    return best
  end
end

local warned = {}

local function warn_unknown(where, name, schema)
  local full = where == '' and name or (where .. '.' .. name)
  if warned[full] then
    return
  end
  warned[full] = true
  local hint = closest(name, schema)
  local msg = ("rrag: ignoring unknown option '%s'%s%s"):format(
    name,
    where ~= '' and (' in ' .. where) or '',
    hint and (" (did you mean '%s'?)"):format(hint) or ''
  )
  require('rrag.log').notify(msg, vim.log.levels.WARN)
end

--- A schema node with a table default whose values are schema nodes is a section.
local function is_section(node)
  if node.type ~= 'table' or type(node.default) ~= 'table' then
    return false
  end
  for _, sub in pairs(node.default) do
    if type(sub) ~= 'table' or sub.type == nil then
      return false
    end
  end
  return true
end

local function resolve(schema, opts, where, errors)
  local out = {}
  for key, node in pairs(schema) do
    local path = where == '' and key or (where .. '.' .. key)
    local value = opts[key]
    if is_section(node) then
      if value ~= nil and type(value) ~= 'table' then
        table.insert(errors, ('%s: expected a table, got %s'):format(path, vim.inspect(value)))
        value = nil
      end
      out[key] = resolve(node.default, value or {}, path, errors)
    else
      local default = node.default
      if type(default) == 'function' then
        default = default()
      end
      if value == nil then
        out[key] = vim.deepcopy(default)
      elseif not type_ok(node.type, value) then
        table.insert(
          errors,
          ('%s: expected %s, got %s'):format(
            path,
            table.concat(type(node.type) == 'table' and node.type or { node.type }, ' or '),
            vim.inspect(value)
          )
        )
        out[key] = vim.deepcopy(default)
      elseif node.enum and not vim.tbl_contains(node.enum, value) then
        table.insert(
          errors,
          ('%s: expected one of %s, got %s'):format(
            path,
            table.concat(node.enum, ', '),
            vim.inspect(value)
          )
        )
        out[key] = vim.deepcopy(default)
      else
        out[key] = vim.deepcopy(value)
      end
    end
  end
  for key in pairs(opts) do
    if schema[key] == nil then
      warn_unknown(where, tostring(key), schema)
    end
  end
  return out
end

local current, user_engine = nil, {}

--- Validate and store the options; returns the resolved table.
function M.setup(opts)
  opts = opts or {}
  if type(opts) ~= 'table' then
    vim.notify(
      'rrag: setup() expects a table of options (:help rrag-config)',
      vim.log.levels.ERROR,
      { title = 'rrag' }
    )
    opts = {}
  end
  local errors = {}
  current = resolve(M.schema, opts, '', errors)
  for _, err in ipairs(errors) do
    require('rrag.log').error(
      ('rrag: invalid option %s; using the default (:help rrag-config)'):format(err)
    )
  end
  -- Forward only what the user set: Python fills in the rest from its own defaults.
  user_engine = {}
  if type(opts.engine) == 'table' then
    for section, values in pairs(opts.engine) do
      if current.engine[section] and type(values) == 'table' then
        for key in pairs(values) do
          if
            current.engine[section][key] ~= nil
            and vim.deep_equal(values[key], current.engine[section][key])
          then
            user_engine[section] = user_engine[section] or {}
            user_engine[section][key] = current.engine[section][key]
          end
        end
      end
    end
  end
  return current
end

function M.get()
  return current or M.setup({})
end

--- The engine overrides sent to Python (a table of sections, only the keys the user gave).
function M.engine_overrides()
  M.get()
  return vim.deepcopy(user_engine)
end

--- The defaults as plain values (what `setup({})` resolves to), for docs and tests.
function M.defaults()
  return resolve(M.schema, {}, '', {})
end

return M
