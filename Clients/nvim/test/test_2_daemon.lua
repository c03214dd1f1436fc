-- The commands against the real daemon (attnd --stdio on the fixture model tiny-peaked).
-- Expected highlight positions are computed here from the test's own tokenize call and Vim's own
-- character splitting (split(line, '\zs')), not with the plugin's offset code.
local T = require('harness')
local uv = require('selectattention.compat').uv

if not vim.env.ATTND or vim.env.ATTND == '' then
  T.skip('daemon tests', 'set ATTND to the attnd binary ($(swift build --show-bin-path)/attnd)')
  return
end

local sa = require('selectattention')
local client = require('selectattention.client')
local kl = require('selectattention.kl')
local progress = require('selectattention.progress')
local compat = require('selectattention.compat')

local LINES = { 'café 日本語', 'naïve ñ x', 'Ωμέγα 🙂!' }
local COLOURS = { '#102030', '#405060', '#708090', '#a0b0c0', '#d0e0f0' }
local messages = T.capture_notify()
-- Every vim.deprecate() call made while the plugin works (Neovim's own warnings go to the
-- message area, not vim.notify).
local deprecated, deprecate = {}, vim.deprecate
vim.deprecate = function(name, ...)
  deprecated[#deprecated + 1] = name
  return deprecate(name, ...)
end

sa.setup({
  attnd = vim.env.ATTND, model = T.model, args = { '--no-history' }, colours = COLOURS,
  kl = { blockSize = 4, threshold = 0.01 }, echo = false,
})

--- A request through the plugin's connection, waited for: returns the result (fails on an error).
local function call(method, params)
  local done, failure, answer = false, nil, nil
  T.truthy(client.request(method, params, function(err, result)
    done, failure, answer = true, err, result
  end), method .. ' sent')
  T.wait(30000, function() return done end, method)
  if failure then error(method .. ': ' .. vim.inspect(failure), 2) end
  return answer
end

--- The characters of `lines` as Vim splits them, with their buffer positions and their byte
--- offsets in the lines joined by "\n" (the line breaks are characters too).
local function characters(lines, first_row)
  local list, offset = {}, 0
  for index, line in ipairs(lines) do
    local row, col = first_row + index - 1, 0
    for _, char in ipairs(vim.fn.split(line, '\\zs')) do
      list[#list + 1] = { row = row, col = col, end_row = row, end_col = col + #char, offset = offset, bytes = #char,
                          text = char }
      col, offset = col + #char, offset + #char
    end
    if index < #lines then
      list[#list + 1] = { row = row, col = col, end_row = row + 1, end_col = 0, offset = offset, bytes = 1, text = '\n' }
      offset = offset + 1
    end
  end
  return list
end

--- The extmarks :AttnKL should draw: each token covers the characters its bytes touch; tokens
--- sharing a character are one mark; its value is the largest of their layer means; its step
--- on the ramp is round(min(value / largest, 1) · (steps − 1)).
local function expected_marks(lines, first_row, tokenized, result)
  local chars = characters(lines, first_row)
  local means = {}
  for q = 1, #tokenized.offsets do
    local sum = 0
    for _, layer in ipairs(result.layers) do sum = sum + layer.values[q] end
    means[q] = sum / #result.layers
  end
  local groups = {}
  for q, range in ipairs(tokenized.offsets) do
    local first, last
    for index, char in ipairs(chars) do
      if char.offset < range[2] and char.offset + char.bytes > range[1] then
        first = first or index
        last = index
      end
    end
    if first then
      local group = groups[#groups]
      if group and first <= group.last_char then
        group.last_char = math.max(group.last_char, last)
        group.value = math.max(group.value, means[q])
        group.last_token = q
      else
        groups[#groups + 1] = { first_char = first, last_char = last, value = means[q], first_token = q, last_token = q }
      end
    end
  end
  local top = 0
  for _, group in ipairs(groups) do top = math.max(top, group.value) end
  local marks = {}
  for _, group in ipairs(groups) do
    local from, to = chars[group.first_char], chars[group.last_char]
    local step = top > 0 and math.floor(math.min(group.value / top, 1) * (#COLOURS - 1) + 0.5) or 0
    marks[#marks + 1] = { from.row, from.col, to.end_row, to.end_col, 'AttnKL' .. step }
    group.text = ''
    for index = group.first_char, group.last_char do group.text = group.text .. chars[index].text end
  end
  return marks, groups
end

local function drawn_marks(bufnr)
  local marks = {}
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(bufnr, kl.namespace, 0, -1, { details = true })) do
    marks[#marks + 1] = { mark[2], mark[3], mark[4].end_row, mark[4].end_col, mark[4].hl_group }
  end
  return marks
end

local function new_buffer(lines)
  local bufnr = vim.api.nvim_create_buf(true, false)
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.api.nvim_set_current_buf(bufnr)
  return bufnr
end

--- Waits until a window shows the scratch buffer `name`; returns its lines.
local function shown_lines(name)
  local scratch
  T.wait(30000, function()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_get_name(b):find(name, 1, true) and vim.fn.bufwinid(b) ~= -1 then scratch = b end
    end
    return scratch ~= nil
  end, 'a window showing ' .. name)
  return vim.api.nvim_buf_get_lines(scratch, 0, -1, false)
end

local function wait_for_marks(bufnr, what)
  T.wait(30000, function() return #drawn_marks(bufnr) > 0 end, what)
  return drawn_marks(bufnr)
end

T.test(':AttnKL highlights whole characters of accented, CJK and emoji text with the ramp colours', function()
  local bufnr = new_buffer(LINES)
  vim.cmd('AttnKL')
  local marks = wait_for_marks(bufnr, ':AttnKL highlights')
  local text = table.concat(LINES, '\n')
  local tokenized = call('tokenize', { text = text })
  local result = call('perPositionKL', { text = text, blockSize = 4, threshold = 0.01 })
  T.truthy(result.cached == false, 'no history: computed')
  local expected, groups = expected_marks(LINES, 0, tokenized, result)
  T.eq(marks, expected, 'extmarks (row, col, end row, end col, group)')
  -- What the fixture's byte-level tokenizer does to this text, by hand: 日 (bytes 6-8 of row 0)
  -- is three tokens, drawn as one mark; "aï" on row 1 shares ï's bytes between two tokens.
  T.truthy(vim.tbl_contains(vim.tbl_map(function(m) return table.concat(m, ' ', 1, 4) end, marks), '0 6 0 9'),
    'a mark exactly over 日 (row 0, bytes 6-9)')
  local split = 0
  for _, group in ipairs(groups) do if group.last_token > group.first_token then split = split + 1 end end
  T.truthy(split >= 3, 'at least three characters are split across tokens (got ' .. split .. ')')
  local steps = {}
  for _, mark in ipairs(marks) do steps[mark[5]] = true end
  T.truthy(steps['AttnKL0'] and steps['AttnKL' .. (#COLOURS - 1)], 'the lowest and the top step are used')
  for index, colour in ipairs(COLOURS) do
    T.eq(compat.highlight('AttnKL' .. (index - 1)).background, tonumber(colour:sub(2), 16), 'AttnKL' .. (index - 1))
  end
  -- The value of each line's largest span in virtual text at its end.
  local virtual = vim.api.nvim_buf_get_extmarks(bufnr, kl.virtual_namespace, 0, -1, { details = true })
  T.eq(#virtual, #LINES, 'one virtual text per line')
  T.contains(virtual[1][4].virt_text[1][1], 'attentionKL max', 'virtual text')
end)

T.test('the value under the cursor names its tokens and character', function()
  local bufnr = vim.api.nvim_get_current_buf()
  vim.api.nvim_win_set_cursor(0, { 1, 6 }) -- on 日
  local line = T.truthy(kl.describe_at_cursor(), 'a span under the cursor')
  T.contains(line, "'日'", 'the character')
  T.contains(line, 'tokens 5–7', 'its three tokens (0-based)')
  T.contains(line, 'the largest of its 3 tokens', 'the split is explained')
  vim.api.nvim_win_set_cursor(0, { 1, 0 }) -- on c
  T.contains(kl.describe_at_cursor(), "token 0 'c'", 'one token')
  vim.cmd('AttnClear')
  T.eq(#drawn_marks(bufnr), 0, ':AttnClear removes the marks')
  T.eq(kl.describe_at_cursor(), nil, 'nothing to describe')
end)

T.test(':AttnKL on a charwise visual range draws only inside it, at the right columns', function()
  local bufnr = new_buffer(LINES)
  vim.cmd('normal! 3G0v4l\27') -- "Ωμέγα" on row 2: 5 characters of 2 bytes
  vim.cmd("'<,'>AttnKL")
  local marks = wait_for_marks(bufnr, 'range highlights')
  local selected = { 'Ωμέγα' }
  local tokenized = call('tokenize', { text = selected[1] })
  local result = call('perPositionKL', { text = selected[1], blockSize = 4, threshold = 0.01 })
  T.eq(marks, (expected_marks(selected, 2, tokenized, result)), 'extmarks of the range')
  T.eq(marks[#marks][4], 10, 'the last mark ends after α (byte 10 of row 2)')
end)

T.test(':AttnKL layer=1 scale=… shows one layer on a fixed scale', function()
  local bufnr = new_buffer({ LINES[2] })
  vim.cmd('AttnKL layer=1 scale=100')
  local marks = wait_for_marks(bufnr, 'layer highlights')
  for _, mark in ipairs(marks) do T.eq(mark[5], 'AttnKL0', 'every value is far below 100 nats') end
  local hover = kl.describe_at_cursor()
  T.contains(hover, 'layer 1', 'the layer shown')
end)

T.test("virtual_text = 'inline' puts each span's value after it (0.10+), else one per line", function()
  local bufnr = new_buffer(LINES)
  sa.options.virtual_text = 'inline'
  local ok, err = pcall(function()
    vim.cmd('AttnKL')
    local marks = wait_for_marks(bufnr, 'inline highlights')
    local virtual = vim.api.nvim_buf_get_extmarks(bufnr, kl.virtual_namespace, 0, -1, { details = true })
    if compat.inline_virtual_text then
      T.eq(#virtual, #marks, 'one value per span')
      for index, mark in ipairs(marks) do
        T.eq({ virtual[index][2], virtual[index][3] }, { mark[3], mark[4] }, 'the value sits at the span\'s end')
        T.eq(virtual[index][4].virt_text_pos, 'inline', 'inline')
      end
    else
      T.eq(#virtual, #LINES, 'Neovim ' .. compat.version() .. ' has no inline virtual text: one per line')
    end
  end)
  sa.options.virtual_text = 'eol'
  if not ok then error(err, 0) end
end)

T.test(':AttnProfile shows one row per head with the daemon\'s numbers', function()
  new_buffer(LINES)
  local before = #progress.history
  vim.cmd('AttnProfile blockSize=4')
  local lines = shown_lines('attnd://profile')
  local result = call('profileAttention', { text = table.concat(LINES, '\n'), blockSize = 4 })
  local model = client.server().model
  T.contains(lines[1], 'attnd profileAttention · model ' .. model.name, 'header')
  local header = vim.split(vim.trim(lines[4]), '%s+')
  T.eq({ header[1], header[2], header[3], header[4] }, { 'layer', 'head', 'entrySparsity', 'entropy' }, 'columns')
  T.eq(#lines, 4 + model.nLayer * model.nHead + 1, 'one row per (layer, head), then the mean')
  for _, layer in ipairs(result.layers) do
    for _, head in ipairs(layer.heads) do
      local row = vim.split(vim.trim(lines[5 + layer.layer * model.nHead + head.head]), '%s+')
      T.eq({ tonumber(row[1]), tonumber(row[2]) }, { layer.layer, head.head }, 'row order')
      T.near(tonumber(row[3]), head.entrySparsity, 5e-5, 'entrySparsity')
      T.near(tonumber(row[4]), head.entropy, 5e-5, 'entropy')
      T.near(tonumber(row[5]), head.sinkMass, 5e-5, 'sinkMass')
    end
  end
  -- $/progress: begin … end for the request, percentages never decreasing.
  local kinds, last = {}, -1
  for index = before + 1, #progress.history do
    local entry = progress.history[index]
    kinds[#kinds + 1] = entry.kind
    if entry.percentage then
      T.truthy(entry.percentage >= last, 'percentages never decrease')
      last = entry.percentage
    end
  end
  T.eq(kinds[1], 'begin', 'first progress')
  T.eq(kinds[#kinds], 'end', 'last progress')
  T.truthy(#kinds >= 3, 'reports in between')
  T.eq(sa.status(), '', 'no work left in the status')
end)

T.test(':AttnSweep shows the points of pruneSweep', function()
  new_buffer(LINES)
  vim.cmd('AttnSweep blockSizes=4,8 thresholds=0.01,0.002 endToEnd=true')
  local lines = shown_lines('attnd://sweep')
  local result = call('pruneSweep', { text = table.concat(LINES, '\n'), blockSizes = { 4, 8 },
                                      thresholds = { 0.01, 0.002 }, endToEnd = true })
  T.eq(#lines, 4 + #result.points, 'one row per point')
  local header = vim.split(vim.trim(lines[4]), '%s+')
  T.eq(header[#header], 'top1Agreement', 'end-to-end columns')
  for index, point in ipairs(result.points) do
    local row = vim.split(vim.trim(lines[4 + index]), '%s+')
    T.eq({ tonumber(row[1]), tonumber(row[3]) }, { point.blockSize, point.threshold }, 'point order')
    T.near(tonumber(row[4]), point.prunedBlockFraction, 5e-5, 'prunedBlockFraction')
    T.near(tonumber(row[5]), point.attentionKL, math.max(5e-5, point.attentionKL * 1e-3), 'attentionKL')
    T.near(tonumber(row[10]), point.endToEnd.outputKL, math.max(5e-5, point.endToEnd.outputKL * 1e-3), 'outputKL')
  end
end)

T.test(':AttnCancel cancels a running sweep, and the daemon answers -32800 at once', function()
  new_buffer(LINES)
  local sizes, thresholds = {}, {}
  for b = 1, 32 do sizes[#sizes + 1] = tostring(b) end
  for k = 1, 64 do thresholds[#thresholds + 1] = tostring(k / 1000) end
  local before = #progress.history
  -- 32 × 64 = 2048 end-to-end points (the daemon's cap): many seconds of work.
  vim.cmd('AttnSweep endToEnd=true blockSizes=' .. table.concat(sizes, ',') .. ' thresholds=' .. table.concat(thresholds, ','))
  T.wait(30000, function()
    for index = before + 1, #progress.history do
      if progress.history[index].kind == 'report' then return true end
    end
    return false
  end, 'the sweep to report progress')
  T.eq(client.in_flight(), { 'pruneSweep' }, 'in flight')
  T.eq(sa.status():match('^attnd pruneSweep %d+%%') ~= nil, true, 'status line: ' .. sa.status())
  local started, cancelled_at = uv.hrtime(), uv.now()
  vim.cmd('AttnCancel')
  T.wait(5000, function() return T.find_message(messages, 'pruneSweep cancelled') ~= nil end, 'the cancelled answer')
  local elapsed_ms = (uv.hrtime() - started) / 1e6
  local ended = progress.history[#progress.history]
  T.truthy(elapsed_ms < 2000, string.format('answered within 2 s of the cancel (%.0f ms)', elapsed_ms))
  T.eq(client.in_flight(), {}, 'nothing in flight')
  T.eq(ended.kind, 'end', 'progress ended')
  T.say(string.format('     (cancel answered in %.0f ms; the daemon\'s progress end came %d ms after :AttnCancel)',
    elapsed_ms, ended.at_ms - cancelled_at))
end)

T.test('daemon errors and stale results are reported, not drawn', function()
  local bufnr = new_buffer(LINES)
  vim.cmd('AttnKL blockSize=0')
  T.wait(10000, function() return T.find_message(messages, 'perPositionKL: [-32602]') ~= nil end, 'the error')
  T.contains(T.find_message(messages, 'perPositionKL: [-32602]'), 'blockSize', 'names the field')
  vim.cmd('AttnKL notakeyvalue')
  T.truthy(T.find_message(messages, 'argument "notakeyvalue" is not key=value'), 'bad argument')
  vim.cmd('AttnKL')
  vim.api.nvim_buf_set_lines(bufnr, 0, 1, false, { 'changed before the answer' })
  T.wait(10000, function() return T.find_message(messages, 'the buffer changed while attnd worked') ~= nil end,
    'the stale result message')
  T.eq(#drawn_marks(bufnr), 0, 'nothing drawn on changed text')
  local empty = new_buffer({ '' })
  vim.cmd('AttnProfile')
  T.truthy(T.find_message(messages, 'nothing to analyse'), 'empty buffer')
  T.eq(#drawn_marks(empty), 0, 'nothing drawn')
end)

T.test('a model that does not load: the reason is shown and the command fails', function()
  sa.stop(3000)
  sa.setup({ attnd = vim.env.ATTND, model = T.model .. '-missing', args = { '--no-history' }, echo = false })
  new_buffer(LINES)
  vim.cmd('AttnProfile')
  T.wait(15000, function() return T.find_message(messages, 'profileAttention: [-32003] could not load model') ~= nil end,
    'the failed command')
  local message = T.find_message(messages, 'attnd: could not load model')
  T.contains(message, 'tiny-peaked-missing', 'the load failure names the model')
  T.contains(message, 'no such folder', 'and says why')
  T.eq(client.running(), false, 'the connection is gone')
end)

T.test('nothing the plugin called was reported deprecated', function()
  T.eq(deprecated, {}, 'vim.deprecate() calls')
  T.eq(T.find_message(messages, 'deprecated'), nil, 'a deprecation warning')
end)

sa.stop(3000)
