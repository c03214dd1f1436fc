--- Command arguments `key=value …` → request params. Values: `true`/`false`, numbers, and lists
--- of them separated by commas (`thresholds=0.01,0.002`); anything else stays a string. Keys named
--- as lists in the protocol (`thresholds`, `blockSizes`) are always lists. Keys are sent as
--- written, so a misspelt one comes back from attnd as an error naming it.
local M = {}

local LIST_KEYS = { thresholds = true, blockSizes = true }

local function scalar(text)
  if text == 'true' then return true end
  if text == 'false' then return false end
  local number = tonumber(text)
  if number ~= nil then return number end
  return text
end

--- `fargs` (the command's words) → params table, or nil and a message for a word without `=`.
function M.parse(fargs)
  local params = {}
  for _, word in ipairs(fargs or {}) do
    local key, value = word:match('^([%w_]+)=(.*)$')
    if not key then
      return nil, string.format('argument %q is not key=value (for example blockSize=4 threshold=0.01)', word)
    end
    if LIST_KEYS[key] or value:find(',', 1, true) then
      local list = {}
      for item in value:gmatch('[^,]+') do list[#list + 1] = scalar(item) end
      params[key] = list
    else
      params[key] = scalar(value)
    end
  end
  return params
end

--- Removes and returns `params[key]` (a plugin-side option such as `layer`).
function M.take(params, key)
  local value = params[key]
  params[key] = nil
  return value
end

return M
