-- rrag.ui.float: scratch buffers in floating windows, shared by every rrag float.
--
-- open() returns a handle { buf, win, close(), valid() }; the close keys come from the
-- `keymaps.close` option, and closing runs the handle's on_close (used to cancel the request
-- whose answer the float was showing).

local config = require('rrag.config')

local M = {}

M.ns = vim.api.nvim_create_namespace('rrag')

local function size(spec, total, minimum)
  local n = spec <= 1 and math.floor(total * spec) or math.floor(spec)
  return math.max(minimum, math.min(n, total - 4))
end

--- Map `keys` (a key, a list of keys, or false) in the float's buffer.
function M.map(handle, keys, fn, desc)
  if not keys then
    return
  end
  for _, key in ipairs(type(keys) == 'table' and keys or { keys }) do
    vim.keymap.set('n', key, fn, { buffer = handle.buf, nowait = true, silent = true, desc = desc })
  end
end

--- How a keymaps option reads in a hint line: 'q/<Esc>', or 'off'.
function M.keys_text(keys)
  if not keys then
    return 'off'
  end
  return type(keys) == 'table' and table.concat(keys, '/') or keys
end

--- opts: title, lines, filetype, anchor ('editor' centred | 'cursor' beside the cursor),
--- width, height (fractions or cells), enter (default true), footer, replaces (a float handle
--- closed first when still open: one float of each kind at a time).
function M.open(opts)
  if opts.replaces and opts.replaces.valid() then
    opts.replaces.close()
  end
  local cfg = config.get()
  local buf = vim.api.nvim_create_buf(false, true)
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].filetype = opts.filetype or 'markdown'
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, opts.lines or { '' })
  vim.bo[buf].modifiable = false
  local width = size(opts.width or cfg.float.width, vim.o.columns, 20)
  local height = size(opts.height or cfg.float.height, vim.o.lines - vim.o.cmdheight, 3)
  local win_opts = {
    style = 'minimal',
    border = cfg.float.border,
    width = width,
    height = height,
    title = ' ' .. (opts.title or 'rrag') .. ' ',
    title_pos = 'left',
  }
  if opts.footer then
    win_opts.footer, win_opts.footer_pos = ' ' .. opts.footer .. ' ', 'right'
  end
  if opts.anchor == 'cursor' then
    win_opts.relative, win_opts.row, win_opts.col = 'cursor', 1, 2
  else
    win_opts.relative = 'editor'
    win_opts.row = math.floor((vim.o.lines - height) / 2) - 1
    win_opts.col = math.floor((vim.o.columns - width) / 2)
  end
  local origin = vim.api.nvim_get_current_win()
  vim.b[buf].rrag_origin_win = vim.w[origin].rrag_float
      and vim.b[vim.api.nvim_win_get_buf(origin)].rrag_origin_win
    or origin
  local win = vim.api.nvim_open_win(buf, opts.enter ~= false, win_opts)
  vim.wo[win].wrap, vim.wo[win].linebreak = true, true
  vim.wo[win].conceallevel = 2
  vim.w[win].rrag_float = true
  local handle = { buf = buf, win = win, origin = origin }
  function handle.valid()
    return vim.api.nvim_win_is_valid(win)
  end
  function handle.close()
    if handle.closed then
      return
    end
    handle.closed = true
    if vim.api.nvim_win_is_valid(win) then
      vim.api.nvim_win_close(win, true)
    end
    if handle.on_close then
      handle.on_close()
    end
  end
  M.map(handle, cfg.keymaps.close, handle.close, 'rrag: close')
  vim.api.nvim_create_autocmd('WinClosed', {
    pattern = tostring(win),
    once = true,
    callback = function()
      vim.schedule(handle.close)
    end,
  })
  return handle
end

function M.set_footer(handle, text)
  if handle.valid() then
    vim.api.nvim_win_set_config(handle.win, { footer = ' ' .. text .. ' ', footer_pos = 'right' })
  end
end

function M.set_lines(handle, lines)
  if not vim.api.nvim_buf_is_valid(handle.buf) then
    return
  end
  vim.bo[handle.buf].modifiable = true
  vim.api.nvim_buf_set_lines(handle.buf, 0, -1, false, lines)
  vim.bo[handle.buf].modifiable = false
end

--- Append streamed text at the end of the buffer (text may hold newlines).
function M.append(handle, text)
  local buf = handle.buf
  if not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  local last = vim.api.nvim_buf_line_count(buf) - 1
  local col = #vim.api.nvim_buf_get_lines(buf, last, last + 1, false)[1]
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_text(buf, last, col, last, col, vim.split(text, '\n', { plain = true }))
  vim.bo[buf].modifiable = false
  if handle.valid() and vim.api.nvim_get_current_win() ~= handle.win then
    vim.api.nvim_win_set_cursor(handle.win, { vim.api.nvim_buf_line_count(buf), 0 })
  end
end

--- Highlight a whole line (or the columns [first, last) of it) with `group`.
function M.highlight(handle, line, group, first, last)
  vim.api.nvim_buf_set_extmark(handle.buf, M.ns, line, first or 0, {
    end_row = last and line or line + 1,
    end_col = last or 0,
    hl_group = group,
    hl_eol = last == nil,
    strict = false,
  })
end

--- How a context item or source is named in a float: a dependency's path is relative to its
--- crate, so the crate and its locked version come first.
function M.where(item)
  local crate = item.version and ('%s %s '):format(item.crate or '?', item.version) or ''
  return crate .. (item.path or '?')
end

--- The float's side of its request `view.id`: closing the float cancels the request while it
--- runs, and a request that could not be sent closes the float. Returns `view`.
function M.follow(handle, view)
  local rpc = require('rrag.rpc')
  handle.on_close = function()
    if rpc.is_pending(view.id) then
      rpc.cancel(view.id)
    end
  end
  if not view.id then
    handle.close()
  end
  return view
end

--- An `on_error` handler: the error is logged and shown in the footer (and, with `append`,
--- under the streamed text); `view.done` and `view.error` record it.
function M.failed(handle, view, append)
  return function(err)
    view.done, view.error = true, err
    require('rrag.log').error(err.text)
    if append then
      M.append(handle, '\n\n' .. err.text)
    end
    M.set_footer(handle, 'failed')
  end
end

--- Open `path` (relative to `root` unless absolute) at `line` in the window the float came from.
function M.jump(handle, root, path, line)
  local file = path
  if not vim.startswith(path, '/') and root then
    file = root .. '/' .. path
  end
  handle.close()
  if vim.api.nvim_win_is_valid(handle.origin) then
    vim.api.nvim_set_current_win(handle.origin)
  end
  vim.cmd.edit(vim.fn.fnameescape(file))
  local last = vim.api.nvim_buf_line_count(0)
  vim.api.nvim_win_set_cursor(0, { math.max(1, math.min(line or 1, last)), 0 })
  vim.cmd('normal! zz')
end

return M
