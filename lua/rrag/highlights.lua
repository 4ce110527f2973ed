-- rrag.highlights: the groups rrag's floats use, linked with default = true so colour schemes
-- and users can override them.

local M = {}

M.groups = {
  RragSource = 'Directory', -- a source / context item line
  RragWhy = 'Comment', -- why a context item was chosen
  RragBudget = 'DiagnosticOk', -- budget meter within the budget
  RragBudgetOver = 'DiagnosticError', -- budget meter over the budget
  RragPinned = 'DiagnosticHint', -- a pinned context item
  RragExcluded = 'DiagnosticUnnecessary', -- an excluded context item
  RragLeftOut = 'DiagnosticWarn', -- a context item that did not fit the budget
  RragHeader = 'Title', -- section headers in floats
  RragMeta = 'NonText', -- key hints and timings
  RragOk = 'DiagnosticOk', -- parse / cargo check passed
  RragError = 'DiagnosticError', -- parse / cargo check failed
}

function M.setup()
  for group, link in pairs(M.groups) do
    vim.api.nvim_set_hl(0, group, { link = link, default = true })
  end
end

return M
