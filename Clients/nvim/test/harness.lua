-- A small test harness for headless Neovim: T.test(name, fn) runs fn under pcall and counts it;
-- assertions raise errors with the values compared. Output goes to stdout (io.stdout), one line
-- per test.
local T = { passed = 0, failed = 0, skipped = 0, current_file = '' }

local function write(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

T.say = write

local function show(value)
  return vim.inspect(value, { newline = ' ', indent = '' })
end

function T.file(name)
  T.current_file = name
  write('== ' .. name)
end

function T.fail_file(err)
  T.failed = T.failed + 1
  write('FAIL ' .. T.current_file .. ' (loading): ' .. tostring(err))
end

--- Skips the test `name`, saying why.
function T.skip(name, why)
  T.skipped = T.skipped + 1
  write(string.format('skip %s: %s', name, why))
end

function T.test(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    T.passed = T.passed + 1
    write('ok   ' .. name)
  else
    T.failed = T.failed + 1
    write('FAIL ' .. name .. ': ' .. tostring(err))
  end
end

function T.eq(actual, expected, what)
  if not vim.deep_equal(actual, expected) then
    error(string.format('%s: expected %s, got %s', what or 'value', show(expected), show(actual)), 2)
  end
end

function T.truthy(value, what)
  if not value then error((what or 'condition') .. ' does not hold', 2) end
  return value
end

function T.near(actual, expected, tolerance, what)
  if type(actual) ~= 'number' or math.abs(actual - expected) > tolerance then
    error(string.format('%s: expected %s ± %g, got %s', what or 'number', tostring(expected), tolerance,
      tostring(actual)), 2)
  end
end

function T.contains(text, fragment, what)
  if type(text) ~= 'string' or not text:find(fragment, 1, true) then
    error(string.format('%s: %s does not contain %s', what or 'text', show(text), show(fragment)), 2)
  end
end

--- Waits (running the event loop) until `predicate()` is true; fails after `ms` milliseconds.
function T.wait(ms, predicate, what)
  if not vim.wait(ms, predicate, 20) then
    error(string.format('timed out after %d ms waiting for %s', ms, what or 'a condition'), 2)
  end
end

--- Captures vim.notify: returns the list that collects {message, level}.
function T.capture_notify()
  local messages = {}
  vim.notify = function(message, level) messages[#messages + 1] = { message = message, level = level } end
  return messages
end

--- The first captured message containing `fragment`, or nil.
function T.find_message(messages, fragment)
  for _, entry in ipairs(messages) do
    if tostring(entry.message):find(fragment, 1, true) then return entry.message end
  end
  return nil
end

function T.finish()
  write(string.format('nvim: %d passed, %d failed, %d skipped', T.passed, T.failed, T.skipped))
  if T.failed > 0 then vim.cmd('cquit 1') else vim.cmd('qall!') end
end

return T
