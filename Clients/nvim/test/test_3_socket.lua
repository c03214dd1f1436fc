-- Joining a listening daemon (`attnd --listen PATH`): works on Neovim 0.10+, and on older
-- Neovims is refused with a message saying so.
local T = require('harness')
local uv = require('selectattention.compat').uv
local compat = require('selectattention.compat')
local socket_check = require('selectattention.socket_check')

T.test('the default socket path is attn\'s', function()
  local saved = vim.env.XDG_RUNTIME_DIR
  vim.env.XDG_RUNTIME_DIR = '/run/user/4242'
  T.eq(socket_check.default_path(), '/run/user/4242/selectattention/attnd.sock', 'with XDG_RUNTIME_DIR')
  vim.env.XDG_RUNTIME_DIR = ''
  T.eq(socket_check.default_path(), string.format('/tmp/selectattention-%d/attnd.sock', uv.getuid()),
    'without')
  vim.env.XDG_RUNTIME_DIR = saved
end)

if not vim.env.ATTND or vim.env.ATTND == '' then
  T.skip('socket tests', 'set ATTND to the attnd binary')
  return
end

local sa = require('selectattention')
local client = require('selectattention.client')
local messages = T.capture_notify()
local socket = vim.fn.tempname() .. '/sockets/attnd.sock' -- the daemon creates the folder, mode 0700

if not compat.socket_support() then
  T.test('Neovim before 0.10 refuses to join a socket and says so', function()
    sa.setup({ socket = socket, model = T.model, echo = false })
    vim.api.nvim_buf_set_lines(0, 0, -1, false, { 'text' })
    vim.cmd('AttnProfile')
    local message = T.truthy(T.find_message(messages, 'cannot connect its LSP client to a Unix socket'), 'the refusal')
    T.contains(message, 'leave `socket` unset to spawn attnd --stdio', 'what to do')
    T.eq(client.running(), false, 'no connection')
  end)
  return
end

T.test('joining attnd --listen: :AttnProfile and :AttnKL through the socket', function()
  local job = vim.fn.jobstart({ vim.env.ATTND, '--listen', socket, '--model', T.model, '--no-history',
                                '--log-level', 'warning' })
  T.truthy(job > 0, 'attnd --listen started')
  local ok, err = pcall(function()
    T.wait(30000, function()
      local stat = uv.fs_lstat(socket)
      return stat ~= nil and stat.type == 'socket'
    end, 'the socket')
    sa.setup({ socket = socket, model = T.model, echo = false, kl = { blockSize = 4 } })
    local bufnr = vim.api.nvim_create_buf(true, false)
    vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, { 'naïve 日本' })
    vim.api.nvim_set_current_buf(bufnr)
    vim.cmd('AttnKL')
    local ns = require('selectattention.kl').namespace
    T.wait(30000, function() return #vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, {}) > 0 end, 'highlights')
    local starts = {}
    for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, { details = true })) do
      starts[#starts + 1] = mark[3]
    end
    -- n 0, a 1, ï 2-3, v 4, e 5, ' ' 6, 日 7-9, 本 10-12: no mark starts inside a character.
    for _, col in ipairs(starts) do
      T.truthy(not vim.tbl_contains({ 3, 8, 9, 11, 12 }, col), 'mark at byte ' .. col .. ' starts a character')
    end
    T.eq(client.server().model.name, 'tiny-peaked', 'the daemon\'s model')
  end)
  sa.stop(3000)
  uv.kill(vim.fn.jobpid(job), 'sigterm') -- the daemon removes its socket and exits 0
  local codes = vim.fn.jobwait({ job }, 10000)
  T.eq(codes[1], 0, 'attnd --listen exit code after SIGTERM')
  if not ok then error(err, 0) end
  T.eq(uv.fs_lstat(socket), nil, 'the socket file is removed')
end)
