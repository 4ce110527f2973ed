-- rrag.buffers: the unsaved Rust buffers a request carries (protocol: python/rrag/bridge/buffers.py).
--
-- Every modified Rust buffer is listed as { path, tick }; its text goes along only when its
-- changedtick moved since this host last got it. reset() runs when a new host starts.

local M = {}

local sent = {} -- bufnr -> changedtick whose text the running host has

function M.reset()
  sent = {}
end

--- The `buffers` field of a request: modified, loaded buffers whose file ends in .rs.
function M.collect()
  local out = {}
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    local name = vim.api.nvim_buf_get_name(buf)
    if vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].modified and name:match('%.rs$') then
      local tick = vim.b[buf].changedtick
      local entry = { path = vim.fn.fnamemodify(name, ':p'), tick = tick }
      if sent[buf] ~= tick then
        entry.text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') .. '\n'
        sent[buf] = tick
      end
      table.insert(out, entry)
    end
  end
  return out
end

return M
