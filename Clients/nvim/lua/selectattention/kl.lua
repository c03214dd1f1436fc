--- Draws a `perPositionKL` result over the text it was computed on: one extmark per span of
--- whole characters (spans.lua), highlighted `AttnKL<step>` from the colour ramp, the value in
--- virtual text (per line, or per span with `virtual_text = 'inline'` on Neovim 0.10+) and on
--- hover (`:AttnHover`, or CursorHold).
local compat = require('selectattention.compat')
local ramp = require('selectattention.ramp')
local region_mod = require('selectattention.region')
local spans_mod = require('selectattention.spans')
local tables = require('selectattention.tables')

local M = {}

M.namespace = vim.api.nvim_create_namespace('selectattention_kl')
M.virtual_namespace = vim.api.nvim_create_namespace('selectattention_kl_values')

--- bufnr → {metric, layer, spans = {extmark id → span}, pieces}
local drawn = {}

--- Removes the highlights and values of `bufnr`.
function M.clear(bufnr)
  vim.api.nvim_buf_clear_namespace(bufnr, M.namespace, 0, -1)
  vim.api.nvim_buf_clear_namespace(bufnr, M.virtual_namespace, 0, -1)
  drawn[bufnr] = nil
end

--- The quoted text of a span (its pieces joined), short.
local function quoted(text, span)
  local piece = text:sub(span.start + 1, span.stop):gsub('\n', '\\n')
  if #piece > 24 then piece = piece:sub(1, 21) .. '…' end
  return "'" .. piece .. "'"
end

--- Draws `result` (perPositionKL) for `region` whose tokenize result is `tokenized`.
--- `options`: {colours, scale ('max' or a number of nats mapped to the top step), virtual_text
--- ('eol' | 'inline' | false), layer (0-based, or nil for the mean over layers)}.
--- Returns the number of spans drawn, or nil and a message.
function M.draw(region, tokenized, result, options)
  local bufnr = region.bufnr
  if vim.api.nvim_buf_get_changedtick(bufnr) ~= region.changedtick then
    return nil, 'the buffer changed while attnd worked; run :AttnKL again'
  end
  local offsets = tokenized.offsets or {}
  if result.numTokens ~= #offsets then
    return nil, string.format('tokenize gave %d tokens but perPositionKL %s', #offsets, tostring(result.numTokens))
  end
  local values, why = spans_mod.position_values(result, options.layer)
  if not values then return nil, why end
  local spans = spans_mod.build(region.text, offsets, values)
  local top = options.scale
  if top == nil or top == 'max' then
    top = 0
    for _, span in ipairs(spans) do top = math.max(top, span.value or 0) end
  end
  local steps = #options.colours
  M.clear(bufnr)
  local record = { metric = result.metric, layer = options.layer, spans = {}, top = top }
  local per_line = {} -- row → the span with the largest value on it
  for _, span in ipairs(spans) do
    local from = region_mod.position(region, span.start)
    local to = region_mod.position(region, span.stop)
    span.level = ramp.level(span.value or 0, top, steps)
    span.text = quoted(region.text, span)
    span.values = { unpack(values, span.first, span.last) }
    local mark = {
      end_row = to[1], end_col = to[2], hl_group = ramp.group(span.level), priority = 200,
    }
    if options.virtual_text == 'inline' and compat.inline_virtual_text then
      -- Inline text at the span's end (0.10+): place a second mark there.
      vim.api.nvim_buf_set_extmark(bufnr, M.virtual_namespace, to[1], to[2], {
        virt_text = { { tables.number(span.value), 'Comment' } }, virt_text_pos = 'inline', right_gravity = false,
      })
    end
    local id = vim.api.nvim_buf_set_extmark(bufnr, M.namespace, from[1], from[2], mark)
    record.spans[id] = span
    local best = per_line[from[1]]
    if span.value and (not best or span.value > best.value) then per_line[from[1]] = span end
  end
  if options.virtual_text == 'eol' or (options.virtual_text == 'inline' and not compat.inline_virtual_text) then
    for row, span in pairs(per_line) do
      vim.api.nvim_buf_set_extmark(bufnr, M.virtual_namespace, row, 0, {
        virt_text = { { string.format('  %s max %s at %s', result.metric or 'KL', tables.number(span.value), span.text),
                        ramp.group(span.level) } },
        virt_text_pos = 'eol',
      })
    end
  end
  drawn[bufnr] = record
  return #spans
end

--- The span under `{row, col}` (0-based, byte col) of `bufnr`, as drawn, or nil.
function M.span_at(bufnr, row, col)
  local record = drawn[bufnr]
  if not record then return nil end
  for id, span in pairs(record.spans) do
    local mark = vim.api.nvim_buf_get_extmark_by_id(bufnr, M.namespace, id, { details = true })
    if mark[1] then
      local details = mark[3] or {}
      local start_row, start_col = mark[1], mark[2]
      local end_row, end_col = details.end_row or start_row, details.end_col or start_col
      local after_start = row > start_row or (row == start_row and col >= start_col)
      local before_end = row < end_row or (row == end_row and col < end_col)
      if after_start and before_end then return span end
    end
  end
  return nil
end

--- One line about the span under the cursor: "tokens 6–8 '日': attentionKL 1.2e-4 nats (max over
--- the 3 tokens holding this character: …)", or nil when there is none.
function M.describe_at_cursor()
  local bufnr = vim.api.nvim_get_current_buf()
  local cursor = vim.api.nvim_win_get_cursor(0)
  local span = M.span_at(bufnr, cursor[1] - 1, cursor[2])
  if not span then return nil end
  local record = drawn[bufnr]
  local where = record.layer and ('layer ' .. record.layer) or 'mean over layers'
  local line = string.format('%s %s: %s %s (%s)', span.first == span.last and ('token ' .. (span.first - 1))
    or string.format('tokens %d–%d', span.first - 1, span.last - 1), span.text, record.metric or 'value',
    tables.number(span.value), where)
  if span.first ~= span.last then
    local parts = {}
    for _, value in ipairs(span.values) do parts[#parts + 1] = tables.number(value) end
    line = line .. string.format('; the largest of its %d tokens: %s', #span.values, table.concat(parts, ', '))
  end
  return line
end

--- Echoes the line of the span under the cursor (nothing when there is none).
function M.hover()
  local line = M.describe_at_cursor()
  if line then vim.api.nvim_echo({ { line } }, false, {}) end
  return line
end

--- True when `bufnr` has highlights drawn.
function M.has(bufnr)
  return drawn[bufnr] ~= nil
end

return M
