--- `$/progress` from attnd (Protocol §7): the latest state of each of this plugin's
--- workDoneTokens, echoed in the command line and offered to the status line.
---
--- After each change the `User SelectAttentionProgress` autocommand fires (for a status line
--- that shows `require('selectattention').status()`).
local compat = require('selectattention.compat')

local M = {}

--- token → {title, kind, percentage?, message?}
local tokens = {}
--- Every value received, in order, as {token, kind, percentage?, message?, at_ms} (the last 200;
--- at_ms: compat.uv.now() when it arrived).
M.history = {}

local echo_enabled = true

function M.set_echo(enabled)
  echo_enabled = enabled
end

local function fire()
  pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'SelectAttentionProgress', modeline = false })
end

--- The one-line text of token's state: "attnd pruneSweep 40% layer 1/2".
local function describe(entry)
  local parts = { 'attnd', entry.title }
  if entry.kind == 'end' then
    parts[#parts + 1] = 'done'
  elseif entry.percentage then
    parts[#parts + 1] = string.format('%d%%', entry.percentage)
  end
  if type(entry.message) == 'string' and entry.message ~= '' then parts[#parts + 1] = entry.message end
  return table.concat(parts, ' ')
end

--- Registers `token` (sent as a request's workDoneToken) under `title` (the command's name).
function M.expect(token, title)
  tokens[token] = { title = title, kind = 'queued', message = 'waiting for the daemon' }
  fire()
end

--- Handles one `$/progress` notification's params `{token, value}`. Tokens this plugin did not
--- send (LSP's own, e.g. initialize's on Neovim 0.11) are shown under the title the value gives.
function M.update(params)
  if type(params) ~= 'table' or type(params.value) ~= 'table' then return end
  local value = params.value
  local entry = tokens[params.token] or { title = value.title or 'attnd' }
  tokens[params.token] = entry
  entry.kind = value.kind
  if type(value.percentage) == 'number' then entry.percentage = value.percentage end
  entry.message = type(value.message) == 'string' and value.message or nil
  table.insert(M.history, { token = params.token, kind = value.kind, percentage = value.percentage,
                            message = entry.message, at_ms = compat.uv.now() })
  if #M.history > 200 then table.remove(M.history, 1) end
  if echo_enabled then
    vim.api.nvim_echo({ { describe(entry), 'ModeMsg' } }, false, {})
  end
  if value.kind == 'end' then tokens[params.token] = nil end
  fire()
end

--- Forgets `token` (its request was answered).
function M.forget(token)
  if tokens[token] then
    tokens[token] = nil
    fire()
  end
end

--- Forgets every token (the connection ended).
function M.clear()
  tokens = {}
  fire()
end

--- "attnd pruneSweep 40% layer 1/2" for the work in progress (several joined by " · "), or "".
function M.status()
  local parts = {}
  for _, entry in pairs(tokens) do parts[#parts + 1] = describe(entry) end
  table.sort(parts)
  return table.concat(parts, ' · ')
end

return M
