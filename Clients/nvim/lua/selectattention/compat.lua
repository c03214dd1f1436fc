--- The differences between the Neovim versions this plugin runs on (0.7 as Debian ships it, and
--- current releases). Everything version-dependent lives here; the other modules call these.
local M = {}

local function has(feature)
  return vim.fn.has(feature) == 1
end

--- True on 0.11 and later, where client methods are called with `:` (`client:request(...)`) and
--- the dot form warns as deprecated.
M.colon_methods = has('nvim-0.11')

--- Calls the LSP client's method `name` (`request`, `notify`, `cancel_request`, `stop`) in the
--- form this Neovim expects.
function M.call(client, name, ...)
  if M.colon_methods then
    return client[name](client, ...)
  end
  return client[name](...)
end

--- Starts an LSP client for `config` without attaching any buffer (the daemon has no use for
--- textDocument/* notifications). Returns the client id, or nil and a message.
--- 0.11+: `vim.lsp.start(config, {attach = false})`; before: `vim.lsp.start_client(config)`
--- (deprecated from 0.11 on, and `vim.lsp.start` there always attaches the current buffer).
function M.start_client(config)
  if has('nvim-0.11') then
    local id = vim.lsp.start(config, { attach = false, reuse_client = function() return false end })
    if not id then
      return nil, 'vim.lsp.start() did not start attnd (see :LspLog)'
    end
    return id
  end
  local id = vim.lsp.start_client(config)
  if not id then
    return nil, 'vim.lsp.start_client() did not start attnd (see :LspLog)'
  end
  return id
end

--- true when this Neovim's LSP client can join a Unix socket, else nil and a message saying so.
--- 0.11+: `vim.lsp.rpc.connect(path)`; 0.10: `vim.lsp.rpc.domain_socket_connect(path)`.
--- Neovim 0.7 to 0.9 can only spawn a process for a client (`rpc.connect` there is TCP only, from 0.8).
function M.socket_support()
  local rpc = vim.lsp.rpc
  if (has('nvim-0.11') and rpc.connect) or rpc.domain_socket_connect then return true end
  return nil, string.format(
    'Neovim %s cannot connect its LSP client to a Unix socket (0.10 or later can); '
      .. 'leave `socket` unset to spawn attnd --stdio instead', M.version())
end

--- The LSP client `cmd` that connects to the Unix socket `path` (after socket_support()).
function M.socket_cmd(path)
  local rpc = vim.lsp.rpc
  if has('nvim-0.11') and rpc.connect then return rpc.connect(path) end
  return rpc.domain_socket_connect(path)
end

--- "0.7.2"
function M.version()
  local v = vim.version()
  return string.format('%d.%d.%d', v.major, v.minor, v.patch)
end

--- The highlight group's colours as numbers (`background`, `foreground`), or {} when it has none.
function M.highlight(name)
  if vim.api.nvim_get_hl then
    local hl = vim.api.nvim_get_hl(0, { name = name })
    return { background = hl.bg, foreground = hl.fg, ctermbg = hl.ctermbg, ctermfg = hl.ctermfg }
  end
  local gui = vim.api.nvim_get_hl_by_name(name, true)
  local cterm = vim.api.nvim_get_hl_by_name(name, false)
  return { background = gui.background, foreground = gui.foreground,
           ctermbg = cterm.background, ctermfg = cterm.foreground }
end

--- libuv: `vim.uv` (0.10+), `vim.loop` before.
M.uv = vim.uv or vim.loop

--- True when extmarks accept `virt_text_pos = 'inline'` (0.10+).
M.inline_virtual_text = has('nvim-0.10')

return M
