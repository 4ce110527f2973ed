-- rrag.ui.models: :RragModel — pick the chat model from the ones on this machine.
--
-- A float lists what `rrag models` finds (Ollama's store, LM Studio, the Hugging Face cache,
-- ~/models, llm.model_dirs, and the models of servers answering on localhost), one line each,
-- the model in use marked `*`. The lines are the engine's (python/rrag/service/model_table.py),
-- the same the command line prints and Vim's popup menu shows. <CR> picks the model under the
-- cursor: Python writes it to the user's config file, and the next request answers with it.
-- `:RragModel NAME` picks without the float.

local config = require('rrag.config')
local float = require('rrag.ui.float')
local log = require('rrag.log')
local rpc = require('rrag.rpc')

local M = { last = nil, last_pick = nil } -- the latest float and the latest pick, for tests

local function render(view, result)
  local table_ = result.view or { header = '', lines = {}, rows = {}, notes = {} }
  local keys = config.get().keymaps
  local lines = {
    ('%s pick · %s close'):format(float.keys_text(keys.jump), float.keys_text(keys.close)),
    '',
    table_.header,
  }
  local head = #lines
  view.rows = {}
  for _, text in ipairs(table_.lines) do
    table.insert(lines, text)
  end
  for _, row in ipairs(table_.rows) do
    view.rows[head + row.line] = row
  end
  if #table_.lines == 0 then
    table.insert(lines, '  (no chat model found)')
  end
  for _, note in ipairs(table_.notes or {}) do
    vim.list_extend(lines, { '', note })
  end
  float.set_lines(view.float, lines)
  float.highlight(view.float, 0, 'RragMeta')
  float.highlight(view.float, head - 1, 'RragHeader')
  local current
  for lnum, row in pairs(view.rows) do
    local is_current = vim.startswith(lines[lnum], '*')
    float.highlight(view.float, lnum - 1, is_current and 'RragPinned' or 'RragSource')
    if is_current then
      current = lnum
    end
  end
  if view.float.valid() then
    vim.api.nvim_win_set_cursor(view.float.win, { current or math.min(head + 1, #lines), 0 })
  end
  float.set_footer(
    view.float,
    ('%d models · written to %s'):format(
      #table_.lines,
      vim.fn.fnamemodify(result.config_file or '?', ':~')
    )
  )
end

--- Pick the model `name` (a listed name, a unique part of one, a GGUF path, or 'default').
function M.use(name, view)
  M.last_pick = nil
  return rpc.request('use_model', { name = name }, {
    supersede = false,
    on_result = function(result)
      M.last_pick = result
      log.notify(result.message)
      if view and view.float.valid() then
        view.float.close()
      end
    end,
    on_error = function(err)
      M.last_pick = { error = err }
      log.error(err.text)
    end,
  })
end

local function pick(view)
  local row = view.rows and view.rows[vim.api.nvim_win_get_cursor(0)[1]]
  if not row then
    return log.notify('rrag: put the cursor on a model line to pick it')
  end
  M.use(row.key, view)
end

function M.open(params)
  local handle = float.open({
    replaces = M.last and M.last.float,
    title = 'rrag: models',
    footer = 'looking for models…',
    filetype = 'rrag-models',
  })
  local view = { float = handle, buf = handle.buf, done = false }
  M.last = view
  vim.wo[handle.win].wrap, vim.wo[handle.win].cursorline = false, true
  float.map(handle, config.get().keymaps.jump, function()
    pick(view)
  end, 'rrag: pick this model')
  view.id = rpc.request('models', params or {}, {
    on_result = function(result)
      view.done, view.result = true, result
      if handle.valid() then
        render(view, result)
      end
    end,
    on_error = float.failed(handle, view),
  })
  if not view.id then
    handle.close()
  end
  return view
end

return M
