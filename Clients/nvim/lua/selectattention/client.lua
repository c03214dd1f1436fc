--- The connection to attnd, through Neovim's own LSP client: it spawns `attnd --stdio` or, on
--- Neovim 0.10+, joins a daemon listening on a Unix socket. Neovim sends `initialize`; this
--- module then sends `model/load` (when a model is configured) and holds every request made
--- before both are answered, sending them after.
---
--- Neovim's LSP client swallows `-32800 requestCancelled` answers (it never calls the handler),
--- so a cancelled request's handler is called from here once the daemon's answer has arrived
--- (the client's `requests[id]` entry is gone without a result).
---
--- - Important: everything here runs on Neovim's main loop (LSP callbacks are scheduled there).
local compat = require('selectattention.compat')
local progress = require('selectattention.progress')
local socket_check = require('selectattention.socket_check')

local M = {}

local VERSION = '0.1.0'
--- How long a cancelled request may go unanswered before it is given up, ms.
M.cancel_timeout_ms = 10000

--- One connection: `id` (the LSP client id), `client` (the LSP client, from on_init on), `ready`
--- (initialize and model/load answered), `waiting` ({send, fail} of requests held until ready),
--- `pending` (request id → {method, token, answer}), `server` (initialize's result, its `model`
--- replaced by model/load's).
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

--- model/load's params: `{path = absolute}` for an existing folder or anything written as a path
--- (`/…`, `./…`, `../…`, `~…`), else `{name = …}` (a HuggingFace cache name such as gpt2).
local function model_params(model)
  if vim.fn.isdirectory(model) == 1 or model:match('^[/~]') or model:match('^%.%.?/') then
    return { path = (vim.fn.fnamemodify(model, ':p'):gsub('(.)/$', '%1')) }
  end
  return { name = model }
end

local function new_token(title)
  token_counter = token_counter + 1
  local token = 'nvim-' .. token_counter
  progress.expect(token, title)
  return token
end

--- Marks the connection ready and sends what waited.
local function become_ready()
  state.ready = true
  local waiting = state.waiting
  state.waiting = {}
  for _, entry in ipairs(waiting) do entry.send() end
end

--- Fails every held request with `err` and stops the connection.
local function give_up(err)
  local waiting, lsp_client = state.waiting, state.client
  state = nil
  progress.clear()
  for _, entry in ipairs(waiting) do entry.fail(err) end
  if lsp_client then compat.call(lsp_client, 'stop') end
end

--- on_init: load the configured model, then send what waited.
local function on_initialized(lsp_client, result, options)
  if not state or state.id ~= lsp_client.id then return end
  state.client = lsp_client -- on 0.7, get_client_by_id() finds it only after on_init returns
  state.server = result
  if not options.model then
    become_ready()
    return
  end
  local params = model_params(options.model)
  local token = new_token('model/load')
  params.workDoneToken = token
  compat.call(lsp_client, 'request', 'model/load', params, function(err, model)
    progress.forget(token)
    if not state or state.client ~= lsp_client then return end
    if err then
      local message = string.format('could not load model %s: %s', options.model, tostring(err.message))
      notify(message, vim.log.levels.ERROR)
      give_up({ code = err.code, message = message, data = err.data })
      return
    end
    state.server.model = model
    become_ready()
  end)
end

--- The LSP client config for `options` (see init.lua's defaults), or nil and a message.
local function client_config(options)
  local cmd
  if options.socket then
    local supported, why = compat.socket_support()
    if not supported then return nil, why end
    local ok, message = socket_check.check(options.socket)
    if not ok then return nil, message end
    cmd = compat.socket_cmd(options.socket)
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
    root_dir = compat.uv.cwd(),
    before_init = function(params)
      params.clientInfo = { name = 'selectattention.nvim', version = VERSION }
    end,
    on_init = function(lsp_client, result) on_initialized(lsp_client, result, options) end,
    on_exit = function(code, signal, client_id)
      vim.schedule(function()
        if state and state.id == client_id then
          local in_flight = next(state.pending) ~= nil
          local was_ready = state.ready
          local message = string.format('the daemon connection ended (exit code %s, signal %s)%s', tostring(code),
            tostring(signal), was_ready and '' or ' before it was ready; see :LspLog')
          give_up({ message = message })
          if in_flight or not was_ready then notify(message, vim.log.levels.ERROR) end
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

--- Sends request `method` with `params` once the connection is ready. With `title`, a
--- workDoneToken is added and `$/progress` is shown under that title. `handler(err, result)`
--- gets the answer exactly once (err: `{code, message, data}`; code -32800 when cancelled).
--- Returns true, or false and a message.
function M.request(method, params, handler, title)
  if not state then return false, 'attnd is not running (call require("selectattention").setup())' end
  params = vim.deepcopy(params or {})
  local token = title and new_token(title)
  params.workDoneToken = token
  local answered = false
  local function answer(err, result)
    if answered then return end
    answered = true
    if token then progress.forget(token) end
    handler(err, result)
  end
  local function send()
    local lsp_client = state and state.client
    if not lsp_client then
      answer({ message = 'the daemon connection is gone' }, nil)
      return
    end
    local request_id
    local ok, id = compat.call(lsp_client, 'request', method, params, function(err, result)
      if state and request_id then state.pending[request_id] = nil end
      answer(err, result)
    end)
    if not ok then
      answer({ message = 'the daemon connection is closed' }, nil)
      return
    end
    request_id = id
    state.pending[id] = { method = method, token = token, answer = answer }
  end
  if state.ready then
    send()
  else
    table.insert(state.waiting, { send = send, fail = function(err) answer(err, nil) end })
  end
  return true
end

--- After `$/cancelRequest` for `request_id`: waits for the daemon's answer (which Neovim
--- swallows when it is -32800) and then calls the request's handler with -32800 — unless the
--- result won the race and the handler already ran. Polls every 20 ms; the entry must be gone
--- on two polls in a row, so that a result read in the same chunk is handled first.
local function await_cancelled(lsp_client, request_id, entry)
  local started, seen_gone = compat.uv.now(), false
  local function poll()
    if not state or state.client ~= lsp_client or not state.pending[request_id] then return end
    local gone = lsp_client.requests[request_id] == nil
    if gone and seen_gone then
      state.pending[request_id] = nil
      entry.answer({ code = -32800, message = 'cancelled' }, nil)
    elseif compat.uv.now() - started > M.cancel_timeout_ms then
      state.pending[request_id] = nil
      entry.answer({ code = -32800, message = string.format(
        'cancelled, but the daemon did not answer within %d ms', M.cancel_timeout_ms) }, nil)
    else
      seen_gone = gone
      vim.defer_fn(poll, 20)
    end
  end
  vim.defer_fn(poll, 20)
end

--- Sends `$/cancelRequest` for every request of this plugin in flight; requests still held
--- for the model load are answered -32800 at once. Returns the number cancelled.
function M.cancel_all()
  if not state then return 0 end
  local waiting = state.waiting
  state.waiting = {}
  for _, entry in ipairs(waiting) do entry.fail({ code = -32800, message = 'cancelled before it was sent' }) end
  local count = #waiting
  local lsp_client = state.client
  for request_id, entry in pairs(state.pending) do
    if not entry.cancelled then
      entry.cancelled = true
      compat.call(lsp_client, 'cancel_request', request_id)
      await_cancelled(lsp_client, request_id, entry)
      count = count + 1
    end
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
  local lsp_client = state.client or vim.lsp.get_client_by_id(id)
  state = nil
  progress.clear()
  if lsp_client then compat.call(lsp_client, 'stop') end
  if wait_ms and wait_ms > 0 then
    vim.wait(wait_ms, function() return vim.lsp.get_client_by_id(id) == nil end, 20)
  end
end

return M
