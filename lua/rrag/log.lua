-- rrag.log: the one place messages leave the plugin.
--
-- notify(): user-facing, one line, always starting with "rrag:", title 'rrag'.
-- info()/warn(): the log (a ring kept in memory for :RragStatus and tests, and
-- stdpath('log')/rrag.log on disk), for things the user need not see, like dropped results.

local M = { ring = {}, max = 200 }

local function one_line(msg)
  msg = tostring(msg):gsub('%s*\n%s*', ' ')
  if not msg:match('^rrag:') then
    msg = 'rrag: ' .. msg
  end
  return msg
end

function M.notify(msg, level)
  local text = one_line(msg)
  M.write('NOTIFY', text)
  vim.notify(text, level or vim.log.levels.INFO, { title = 'rrag' })
end

function M.error(msg)
  M.notify(msg, vim.log.levels.ERROR)
end

function M.file()
  return vim.fn.stdpath('log') .. '/rrag.log'
end

function M.write(level, msg)
  local line = ('%s %s %s'):format(os.date('%Y-%m-%d %H:%M:%S'), level, msg)
  table.insert(M.ring, line)
  if #M.ring > M.max then
    table.remove(M.ring, 1)
  end
  local fh = io.open(M.file(), 'a')
  if fh then
    fh:write(line, '\n')
    fh:close()
  end
end

function M.info(msg)
  M.write('INFO', msg)
end

function M.warn(msg)
  M.write('WARN', msg)
end

return M
