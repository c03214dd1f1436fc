--- The connection to attnd, through Neovim's own LSP client: it spawns `attnd --stdio` or, on
--- Neovim 0.10+, joins a daemon listening on a Unix socket. It sends `initialize` (with the
--- model to load) itself; requests made before the answer wait here and go out after it.
---
--- - Important: everything here runs on Neovim's main loop (LSP callbacks are scheduled there).
local compat = require('selectattention.compat')
local progress = require('selectattention.progress')
local socket_check = require('selectattention.socket_check')

local M = {}

local VERSION = '0.1.0'

--- One connection: `id` (the LSP client id), `client` (the LSP client, once ready), `ready`
--- (initialize answered), `waiting` ({send, fail} of requests to send once ready), `pending`
--- (request id → {method, token}), `server` (initialize's result).
local state = nil
local token_counter = 0

local function notify(message, level)
  vim.notify('attnd: ' .. message, level or vim.log.levels.INFO)
end

--- Where to find attnd: `options.attnd`, else $ATTND, else `attnd` on PATH.
local function attnd_path(options)
  local path = options.attnd or vim.env.ATTND
  if path and path ~= '' then return path end
  local found = vim.fn.exepath('attnd')
  if found ~= '' then return found end
  return nil
end

--- `{path = absolute}` for a folder, else `{name = …}` (a HuggingFace cache name).
local function model_ref(model)
  if vim.fn.isdirectory(model) == 1 then
    return { path = vim.fn.fnamemodify(model, ':p'):gsub('/$', '') }
  end
  return { name = model }
end

local function finish(request_id)
  if state then state.pending[request_id] = nil end
end

--- The LSP client config for `options` (see init.lua's defaults), or nil and a message.
local function client_config(options)
  local cmd, why
  if options.socket then
    local ok, message = socket_check.check(options.socket)
    if not ok then return nil, message end
    cmd, why = compat.socket_cmd(options.socket)
    if not cmd then return nil, why end
  else
    local attnd = attnd_path(options)
    if not attnd then
      return nil, 'no attnd found: set `attnd` in setup(), $ATTND, or put attnd on PATH '
        .. '(build it with `swift build`; it is in $(swift build --show-bin-path))'
    end
    if not options.model then
      return nil, 'no model: set `model` in setup() to a model folder or a name such as gpt2'
    end
    cmd = { attnd, '--stdio', '--log-level', options.log_level }
    vim.list_extend(cmd, options.args or {})
  end
  return {
    name = 'attnd',
    cmd = cmd,
    root_dir = vim.loop.cwd(),
    -- The model goes into initialize (Protocol §10), so a load failure comes back as that
    -- request's error, naming the folder and the reason.
    before_init = function(params)
      params.clientInfo = { name = 'selectattention.nvim', version = VERSION }
      if options.model then params.model = model_ref(options.model) end
    end,
    on_init = function(client, result)
      if not state or state.id ~= client.id then return end
      state.ready = true
      state.client = client -- on 0.7, get_client_by_id() finds it only after on_init returns
      state.server = result
      local waiting = state.waiting
      state.waiting = {}
      for _, entry in ipairs(waiting) do entry.send() end
    end,
    on_error = function(code, err)
      vim.schedule(function()
        if not state or state.ready then return end
        -- initialize failed (a model that does not load): say why, fail what waited, stop.
        local waiting = state.waiting
        local id = state.id
        state = nil
        progress.clear()
        local message = type(err) == 'table' and err.message or tostring(err)
        notify('could not start: ' .. tostring(message), vim.log.levels.ERROR)
        for _, entry in ipairs(waiting) do entry.fail({ message = 'attnd did not initialize: ' .. tostring(message) }) end
        local client = vim.lsp.get_client_by_id(id)
        if client then compat.call(client, 'stop', true) end
      end)
    end,
    on_exit = function(code, signal, client_id)
      vim.schedule(function()
        if state and state.id == client_id then
          local failed = state.pending
          local was_ready = state.ready
          state = nil
          progress.clear()
          if next(failed) or not was_ready then
            notify(string.format('the daemon connection ended (exit code %s, signal %s)%s', tostring(code),
              tostring(signal), was_ready and '' or ' before it was initialized; see :LspLog'),
              vim.log.levels.ERROR)
          end
        end
      end)
    end,
    handlers = {
      ['$/progress'] = function(_, result) progress.update(result) end,
      ['$/modelChanged'] = function(_, result)
        if state and state.server and result and result.model then state.server.model = result.model end
        notify('another client loaded model ' .. tostring(result and result.model and result.model.name))
      end,
    },
  }
end

--- Starts the connection for `options` unless one is up. Returns true, or false and a message.
function M.start(options)
  if state then return true end
  local config, message = client_config(options)
  if not config then return false, message end
  state = { ready = false, waiting = {}, pending = {} }
  local id, why = compat.start_client(config)
  if not id then
    state = nil
    return false, why
  end
  state.id = id
  return true
end

--- True when a connection is up (or starting).
function M.running()
  return state ~= nil
end

--- initialize's result (serverInfo, capabilities, model), or nil before it arrived.
function M.server()
  return state and state.server
end

--- Sends request `method` with `params` once the connection is initialized. With `title`, a
--- workDoneToken is added and `$/progress` is shown under that title. `handler(err, result)`
--- gets the response (err: `{code, message, data}`). Returns true, or false and a message.
function M.request(method, params, handler, title)
  if not state then return false, 'attnd is not running (call require("selectattention").setup())' end
  params = vim.deepcopy(params or {})
  local token
  if title then
    token_counter = token_counter + 1
    token = 'nvim-' .. token_counter
    params.workDoneToken = token
    progress.expect(token, title)
  end
  local function send()
    local client = state and (state.client or vim.lsp.get_client_by_id(state.id))
    if not client then
      handler({ code = nil, message = 'the daemon connection is gone' }, nil)
      return
    end
    local request_id
    local ok, id = compat.call(client, 'request', method, params, function(err, result)
      finish(request_id)
      if token then progress.forget(token) end
      handler(err, result)
    end)
    if not ok then
      handler({ code = nil, message = 'the daemon connection is closed' }, nil)
      return
    end
    request_id = id
    state.pending[id] = { method = method, token = token }
  end
  if state.ready then
    send()
  else
    table.insert(state.waiting, { send = send, fail = function(err)
      if token then progress.forget(token) end
      handler(err, nil)
    end })
  end
  return true
end

--- Sends `$/cancelRequest` for every request of this plugin still in flight; requests still
--- waiting for initialize are dropped. Returns the number cancelled.
function M.cancel_all()
  if not state then return 0 end
  local waiting = state.waiting
  state.waiting = {}
  for _, entry in ipairs(waiting) do entry.fail({ code = -32800, message = 'cancelled before it was sent' }) end
  local count = #waiting
  local client = state.client or vim.lsp.get_client_by_id(state.id)
  for request_id in pairs(state.pending) do
    if client then compat.call(client, 'cancel_request', request_id) end
    count = count + 1
  end
  return count
end

--- The methods in flight: `{method, …}` (for the status line and tests).
function M.in_flight()
  local methods = {}
  if state then
    for _, entry in pairs(state.pending) do methods[#methods + 1] = entry.method end
  end
  return methods
end

--- Stops the connection (shutdown, exit) and forgets it. `wait_ms`: how long to wait for the
--- daemon to go (default 0: return at once).
function M.stop(wait_ms)
  if not state then return end
  local id = state.id
  state = nil
  progress.clear()
  local client = vim.lsp.get_client_by_id(id)
  if client then compat.call(client, 'stop') end
  if wait_ms and wait_ms > 0 then
    vim.wait(wait_ms, function()
      local c = vim.lsp.get_client_by_id(id)
      return c == nil or (c.is_stopped and (compat.colon_methods and c:is_stopped() or c.is_stopped()))
    end, 20)
  end
end

return M
