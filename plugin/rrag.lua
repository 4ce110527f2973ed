-- rrag: Rust-aware context for a local LLM. Commands are defined here; everything else loads
-- on first use (:help rrag).
if vim.g.loaded_rrag then
  return
end
if vim.fn.has('nvim-0.10') ~= 1 then
  return vim.notify_once('rrag: Neovim 0.10 or newer is required', vim.log.levels.ERROR)
end
vim.g.loaded_rrag = true

local function call(fn)
  return function(opts)
    require('rrag')[fn](opts)
  end
end
local command = vim.api.nvim_create_user_command
command('RragAsk', call('ask'), { nargs = '*', range = true, desc = 'rrag: ask about the code' })
command('RragExplain', call('explain'), { range = true, desc = 'rrag: explain the item or range' })
command(
  'RragRefactor',
  call('refactor'),
  { nargs = '+', range = true, desc = 'rrag: refactor the range' }
)
command(
  'RragContext',
  call('context'),
  { nargs = '*', range = true, desc = 'rrag: show the context' }
)
command(
  'RragSearch',
  call('search'),
  { nargs = '*', desc = 'rrag: search the index (quickfix list)' }
)
command('RragUpgrade', call('upgrade'), {
  nargs = '*',
  desc = "rrag: what a dependency's new version breaks (quickfix list; K: old and new signature)",
})
command('RragIndex', call('index'), { desc = 'rrag: index the workspace' })
command('RragStatus', call('status'), { desc = 'rrag: index counts, queue, model, errors' })
command('RragCancel', call('cancel'), { desc = 'rrag: cancel running requests' })
command(
  'RragModel',
  call('model'),
  { nargs = '?', desc = 'rrag: pick the chat model (from the ones on this machine)' }
)
-- Commands whose float only shows the engine's view: defined from the protocol's table.
for _, spec in ipairs(require('rrag.methods').commands) do
  command(spec.name, function(opts)
    require('rrag.ui.view').run(spec, opts)
  end, { nargs = spec.nargs, range = spec.range, desc = 'rrag: ' .. spec.desc })
end

local group = vim.api.nvim_create_augroup('rrag', { clear = true })
vim.api.nvim_create_autocmd('BufWritePost', {
  group = group,
  pattern = { '*.rs', 'Cargo.toml', 'Cargo.lock' },
  callback = function(ev)
    require('rrag').on_write(ev.buf)
  end,
})
vim.api.nvim_create_autocmd({ 'FocusGained', 'BufEnter' }, {
  group = group,
  pattern = '*.rs',
  callback = function(ev)
    require('rrag').on_focus(ev.buf)
  end,
})
vim.api.nvim_create_autocmd('ColorScheme', {
  group = group,
  callback = function()
    require('rrag.highlights').setup()
  end,
})
require('rrag.highlights').setup()
