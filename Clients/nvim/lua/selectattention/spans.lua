--- Token offsets → non-overlapping spans of whole characters, each with the values of its tokens.
---
--- A byte-level BPE token may hold part of a character (one byte of 日, or `a` plus the first
--- byte of ï). Highlights must cover whole characters, so every token is widened to the
--- characters it touches, and tokens that then overlap (they share a character) form one span.
--- A span's value is the largest of its tokens' values (the worst position it shows).
local region_mod = require('selectattention.region')

local M = {}

--- `offsets`: `[{start, end}]` UTF-8 byte offsets into `text`, one per token, in order (as
--- `tokenize` returns them). `values[i]`: the number shown for token i (nil: not shown).
--- Returns `[{start, stop, first, last, value}]` in text order: byte range `[start, stop)` of
--- `text`, tokens `first` … `last` (1-based), `value` = their largest value. A token with an
--- empty range (start = end) joins no span.
function M.build(text, offsets, values)
  local spans = {}
  for index, range in ipairs(offsets) do
    local start, stop = range[1], range[2]
    if stop > start then
      start, stop = region_mod.widen_to_characters(text, start, stop)
      local value = values[index]
      local last = spans[#spans]
      if last and start < last.stop then -- shares a character with the span before: merge
        last.stop = math.max(last.stop, stop)
        last.last = index
        if value and (last.value == nil or value > last.value) then last.value = value end
      else
        spans[#spans + 1] = { start = start, stop = stop, first = index, last = index, value = value }
      end
    end
  end
  return spans
end

--- The mean over layers of `perPositionKL`'s `layers[].values[q]` for every position q, or, with
--- `layer` (0-based), that layer's values. Returns a list with one number per token, or nil and
--- a message when `layer` is out of range.
function M.position_values(result, layer)
  local layers = result.layers or {}
  if layer ~= nil then
    for _, entry in ipairs(layers) do
      if entry.layer == layer then return entry.values end
    end
    return nil, string.format('layer=%s is not in the result (layers 0…%d)', tostring(layer), #layers - 1)
  end
  local sums = {}
  for _, entry in ipairs(layers) do
    for q, value in ipairs(entry.values) do
      sums[q] = (sums[q] or 0) + (type(value) == 'number' and value or 0)
    end
  end
  for q, sum in ipairs(sums) do sums[q] = sum / #layers end
  return sums
end

return M
