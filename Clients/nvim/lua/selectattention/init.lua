--- SelectAttention for Neovim: attention analyses of the buffer (or a visual range) by attnd,
--- through Neovim's own LSP client. `require('selectattention').setup({model = …})`, then
--- :AttnProfile, :AttnKL, :AttnSweep, :AttnCancel, :AttnHover, :AttnClear, :AttnStop.
--- See doc/selectattention.txt.
local args = require('selectattention.args')
local client = require('selectattention.client')
local kl = require('selectattention.kl')
local progress = require('selectattention.progress')
local ramp = require('selectattention.ramp')
local region_mod = require('selectattention.region')
local scratch = require('selectattention.scratch')
local socket_check = require('selectattention.socket_check')
local tables = require('selectattention.tables')

local M = {}

--- The options of setup() and their defaults.
M.defaults = {
  attnd = nil,            -- the attnd binary (default: $ATTND, else attnd on PATH)
  model = nil,            -- a model folder or a HuggingFace cache name (required to spawn)
  args = {},              -- more attnd arguments when spawning (e.g. {'--no-history'})
  log_level = 'warning',  -- attnd --log-level when spawning (its stderr goes to :LspLog)
  socket = nil,           -- join `attnd --listen PATH` instead of spawning (Neovim 0.10+); true = attn's default path
  colours = ramp.default_colours, -- the :AttnKL ramp, lowest first ('#rrggbb' each)
  scale = 'max',          -- value shown in the top colour: 'max' (the largest drawn) or nats
  virtual_text = 'eol',   -- :AttnKL values: 'eol' (largest per line), 'inline' (per span, 0.10+), false
  hover = true,           -- show the value under the cursor on CursorHold where :AttnKL drew
  echo = true,            -- echo $/progress and finished work in the command line
  profile = {},           -- default params of :AttnProfile (e.g. {blockSize = 4})
  kl = {},                -- default params of :AttnKL (e.g. {blockSize = 4, threshold = 0.01})
  sweep = {},             -- default params of :AttnSweep (e.g. {blockSizes = {4, 8}})
}

M.options = vim.deepcopy(M.defaults)

local function report(message, level)
  vim.notify('attnd: ' .. message, level or vim.log.levels.ERROR)
end

--- "[-32602] invalid params: `blockSize` is 0; accepted: …"
local function error_text(err)
  if type(err) ~= 'table' then return tostring(err) end
  local code = type(err.code) == 'number' and string.format('[%d] ', err.code) or ''
  return code .. tostring(err.message)
end

local function ensure_started()
  if client.running() then return true end
  local ok, message = client.start(M.options)
  if not ok then report(message) end
  return ok
end

--- The params of one command: setup()'s defaults for it, then the command's key=value words.
local function command_params(defaults, fargs)
  local given, message = args.parse(fargs)
  if not given then
    report(message)
    return nil
  end
  return vim.tbl_extend('force', vim.deepcopy(defaults or {}), given)
end

local function region_of(command)
  local region = region_mod.from_command(vim.api.nvim_get_current_buf(), command)
  if region.text == '' then
    report('nothing to analyse: the buffer (or range) is empty')
    return nil
  end
  return region
end

local function on_result(method, handle)
  return function(err, result)
    if err then
      if err.code == -32800 then
        report(method .. ' cancelled', vim.log.levels.WARN)
      else
        report(method .. ': ' .. error_text(err))
      end
      return
    end
    local ok, message = pcall(handle, result)
    if not ok then report(method .. ': ' .. tostring(message)) end
  end
end

--- Sends `method` for the buffer or range of `command` with setup()'s `defaults` and the
--- command's words, and shows `render(result, server)` (lines) in the scratch buffer `name`.
local function table_command(method, defaults, name, render, command)
  command = command or {}
  local params = command_params(defaults, command.fargs)
  local region = params and region_of(command)
  if not region or not ensure_started() then return false end
  params.text = region.text
  return client.request(method, params, on_result(method, function(result)
    scratch.show(name, render(result, client.server()))
  end), method)
end

--- :AttnProfile [key=value …] — profileAttention of the buffer or range; the per-head table in a
--- scratch window. Returns true when the request was sent.
function M.profile(command)
  return table_command('profileAttention', M.options.profile, 'attnd://profile', tables.profile, command)
end

--- :AttnSweep [key=value …] — pruneSweep of the buffer or range; the points in a scratch window.
function M.sweep(command)
  return table_command('pruneSweep', M.options.sweep, 'attnd://sweep', tables.sweep, command)
end

--- :AttnKL [key=value …] [layer=N] [scale=NATS] — perPositionKL of the buffer or range, drawn
--- over the text. `layer` (0-based) shows one layer instead of the mean over layers.
function M.kl(command)
  command = command or {}
  local params = command_params(M.options.kl, command.fargs)
  local region = params and region_of(command)
  if not region or not ensure_started() then return false end
  local draw_options = {
    colours = M.options.colours, virtual_text = M.options.virtual_text,
    layer = args.take(params, 'layer'), scale = args.take(params, 'scale') or M.options.scale,
  }
  params.text = region.text
  -- Both answers are needed; they may arrive in either order (tokenize is immediate).
  local tokenized, computed
  local function draw()
    if not (tokenized and computed) then return end
    local drawn, message = kl.draw(region, tokenized, computed, draw_options)
    if not drawn then error(message, 0) end
    if M.options.echo then
      vim.api.nvim_echo({ { string.format('attnd: %s over %d spans (%d tokens)', computed.metric, drawn,
        computed.numTokens) } }, false, {})
    end
  end
  local sent = client.request('tokenize', { text = region.text }, on_result('tokenize', function(result)
    tokenized = result
    draw()
  end))
  if not sent then return false end
  return client.request('perPositionKL', params, on_result('perPositionKL', function(result)
    computed = result
    draw()
  end), 'perPositionKL')
end

--- :AttnCancel — $/cancelRequest for every request of this plugin in flight.
function M.cancel()
  local count = client.cancel_all()
  if M.options.echo then
    vim.api.nvim_echo({ { string.format('attnd: cancelling %d request%s', count, count == 1 and '' or 's') } },
      false, {})
  end
  return count
end

--- :AttnStop — shuts the daemon connection down (the next command starts it again).
function M.stop(wait_ms)
  client.stop(wait_ms)
end

--- The progress of the work in flight, for a status line ("" when idle).
function M.status()
  return progress.status()
end

local function define_commands()
  local create = vim.api.nvim_create_user_command
  local function with_args(fn)
    return function(command) fn(command) end
  end
  create('AttnProfile', with_args(M.profile), { nargs = '*', range = true,
    desc = 'attnd profileAttention of the buffer or range (per-head table)' })
  create('AttnKL', with_args(M.kl), { nargs = '*', range = true,
    desc = 'attnd perPositionKL of the buffer or range, drawn over the text' })
  create('AttnSweep', with_args(M.sweep), { nargs = '*', range = true,
    desc = 'attnd pruneSweep of the buffer or range (table of points)' })
  create('AttnCancel', function() M.cancel() end, { desc = 'cancel the attnd requests in flight' })
  create('AttnHover', function() kl.hover() end, { desc = 'the :AttnKL value under the cursor' })
  create('AttnClear', function() kl.clear(vim.api.nvim_get_current_buf()) end,
    { desc = 'remove the :AttnKL highlights of this buffer' })
  create('AttnStop', function() M.stop() end, { desc = 'stop the attnd connection' })
end

local function define_autocommands()
  local group = vim.api.nvim_create_augroup('SelectAttention', { clear = true })
  vim.api.nvim_create_autocmd('ColorScheme', { group = group, callback = function() ramp.define(M.options.colours) end })
  if M.options.hover then
    vim.api.nvim_create_autocmd('CursorHold', { group = group, callback = function()
      if kl.has(vim.api.nvim_get_current_buf()) then kl.hover() end
    end })
  end
end

--- Sets the options (merged over M.defaults), defines the highlight groups, commands and
--- autocommands. The daemon starts at the first command. Calling it again restarts the
--- connection with the new options.
function M.setup(options)
  if client.running() then client.stop() end
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), options or {})
  if options and options.colours then M.options.colours = options.colours end -- a list: replace, not merge
  if M.options.socket == true then M.options.socket = socket_check.default_path() end
  progress.set_echo(M.options.echo)
  ramp.define(M.options.colours)
  define_commands()
  define_autocommands()
end

return M
