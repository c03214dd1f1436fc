--- Scratch windows for result tables: an unlisted, unnamed-file buffer (`buftype=nofile`, wiped
--- when hidden) in a split below, reused when one with the same name is still shown.
local M = {}

--- Shows `lines` in the scratch buffer `name` ("attnd://profile"). Returns the buffer number.
local buffers = {} -- name → buffer number

function M.show(name, lines)
  local bufnr = buffers[name]
  if bufnr and not vim.api.nvim_buf_is_valid(bufnr) then bufnr = nil end
  local window = bufnr and vim.fn.bufwinid(bufnr) or -1
  if not bufnr then
    bufnr = vim.api.nvim_create_buf(false, true)
    buffers[name] = bufnr
    vim.api.nvim_buf_set_name(bufnr, name)
    vim.bo[bufnr].bufhidden = 'wipe'
    vim.bo[bufnr].filetype = 'selectattention'
  end
  vim.bo[bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.bo[bufnr].modifiable = false
  if window == -1 then
    local previous = vim.api.nvim_get_current_win()
    vim.cmd('botright ' .. math.min(#lines + 1, 20) .. 'split')
    window = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(window, bufnr)
    vim.wo[window].wrap = false
    vim.wo[window].number = false
    vim.api.nvim_set_current_win(previous)
  end
  return bufnr
end

return M
