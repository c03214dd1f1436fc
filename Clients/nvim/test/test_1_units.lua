-- Unit tests of the plugin's pure parts, on cases worked out by hand (no daemon).
local T = require('harness')
local uv = require('selectattention.compat').uv
local args = require('selectattention.args')
local ramp = require('selectattention.ramp')
local region = require('selectattention.region')
local socket_check = require('selectattention.socket_check')
local spans = require('selectattention.spans')
local tables = require('selectattention.tables')

local function scratch_buffer(lines)
  local bufnr = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  return bufnr
end

T.test('region.position maps byte offsets across lines and multi-byte characters', function()
  -- "ab\n日本\nx": a 0, b 1, \n 2, 日 3-5, 本 6-8, \n 9, x 10; 11 bytes.
  local r = region.buffer(scratch_buffer({ 'ab', '日本', 'x' }))
  T.eq(r.text, 'ab\n日本\nx', 'text')
  T.eq(r.line_starts, { 0, 3, 10 }, 'line starts')
  T.eq(region.position(r, 0), { 0, 0 }, 'offset 0')
  T.eq(region.position(r, 2), { 0, 2 }, 'the line break is the end of line 0')
  T.eq(region.position(r, 3), { 1, 0 }, '日')
  T.eq(region.position(r, 6), { 1, 3 }, '本 starts at byte column 3')
  T.eq(region.position(r, 9), { 1, 6 }, 'end of line 1')
  T.eq(region.position(r, 10), { 2, 0 }, 'x')
  T.eq(region.position(r, 11), { 2, 1 }, 'end of text')
end)

T.test('a charwise visual selection covers whole characters and keeps its start column', function()
  local bufnr = scratch_buffer({ 'xx café!', 'yy' })
  vim.api.nvim_set_current_buf(bufnr)
  -- select from "c" (byte col 3) to "é" (bytes 6-7): `v` then 3 characters right
  vim.cmd('normal! gg0lllv3l\27')
  local r = region.from_command(bufnr, { range = 2, line1 = 1, line2 = 1 })
  T.eq(r.text, 'café', 'text')
  T.eq({ r.start_row, r.start_col, r.end_row, r.end_col }, { 0, 3, 0, 8 }, 'bounds')
  T.eq(region.position(r, 0), { 0, 3 }, 'offset 0 is the selection start')
  T.eq(region.position(r, 3), { 0, 6 }, 'é')
  -- A range that is not the visual selection's lines is whole lines.
  local lines = region.from_command(bufnr, { range = 2, line1 = 2, line2 = 2 })
  T.eq({ lines.text, lines.start_col, lines.end_col }, { 'yy', 0, 2 }, 'line range')
  local whole = region.from_command(bufnr, { range = 0 })
  T.eq(whole.text, 'xx café!\nyy', 'no range: the buffer')
end)

T.test('widen_to_characters moves ends out of multi-byte characters', function()
  local text = 'a日b🙂' -- a 0, 日 1-3, b 4, 🙂 5-8
  T.eq({ region.widen_to_characters(text, 2, 3) }, { 1, 4 }, 'inside 日')
  T.eq({ region.widen_to_characters(text, 0, 2) }, { 0, 4 }, 'a + first byte of 日')
  T.eq({ region.widen_to_characters(text, 4, 5) }, { 4, 5 }, 'b alone')
  T.eq({ region.widen_to_characters(text, 7, 9) }, { 5, 9 }, 'last bytes of 🙂')
end)

T.test('spans merge tokens that share a character and keep the largest value', function()
  -- "naïve": n 0, a 1, ï 2-3, v 4, e 5; tokens as tiny-peaked cuts them: n | aÃ | ¯ | ve
  local text = 'naïve'
  local offsets = { { 0, 1 }, { 1, 3 }, { 3, 4 }, { 4, 6 }, { 6, 6 } }
  local built = spans.build(text, offsets, { 0.5, 0.1, 0.3, 0.2, 9 })
  T.eq(built, {
    { start = 0, stop = 1, first = 1, last = 1, value = 0.5 },
    { start = 1, stop = 4, first = 2, last = 3, value = 0.3 },
    { start = 4, stop = 6, first = 4, last = 4, value = 0.2 },
  }, 'spans')
end)

T.test('position_values: mean over layers, or one layer', function()
  local result = { layers = { { layer = 0, values = { 0.1, 0.3 } }, { layer = 1, values = { 0.3, 0.5 } } } }
  local mean = spans.position_values(result)
  T.near(mean[1], 0.2, 1e-12, 'position 0')
  T.near(mean[2], 0.4, 1e-12, 'position 1')
  T.eq(spans.position_values(result, 1), { 0.3, 0.5 }, 'layer 1')
  local missing, why = spans.position_values(result, 2)
  T.eq(missing, nil, 'layer 2')
  T.contains(why, 'layers 0…1', 'message')
end)

T.test('ramp levels and terminal colours', function()
  T.eq(ramp.level(0, 1, 8), 0, 'zero')
  T.eq(ramp.level(1, 1, 8), 7, 'top')
  T.eq(ramp.level(0.5, 1, 8), 4, 'half: round(3.5)')
  T.eq(ramp.level(0.4, 1, 8), 3, '0.4: round(2.8)')
  T.eq(ramp.level(2, 1, 8), 7, 'above the top')
  T.eq(ramp.level(0.3, 0, 8), 0, 'top 0')
  T.eq(ramp.cterm('#ff0000'), 196, 'red')
  T.eq(ramp.cterm('#000000'), 16, 'black')
  T.eq(ramp.cterm('#ffffff'), 231, 'white')
  T.eq(ramp.cterm('#5f87af'), 67, 'cube 1,2,3')
  T.eq(ramp.text_colour('#ffffcc'), '#000000', 'dark text on pale yellow')
  T.eq(ramp.text_colour('#b10026'), '#ffffff', 'light text on dark red')
  local ok, err = pcall(ramp.cterm, 'red')
  T.eq(ok, false, 'a name is refused')
  T.contains(err, '#rrggbb', 'message')
end)

T.test('args.parse: numbers, booleans, lists, strings; refuses a word without =', function()
  local params = args.parse({ 'blockSize=4', 'thresholds=0.01', 'endToEnd=true', 'selection=coverage',
                              'blockSizes=4,8', 'keepSink=false' })
  T.eq(params, { blockSize = 4, thresholds = { 0.01 }, endToEnd = true, selection = 'coverage',
                 blockSizes = { 4, 8 }, keepSink = false }, 'params')
  local none, why = args.parse({ 'blockSize' })
  T.eq(none, nil, 'refused')
  T.contains(why, 'blockSize', 'message names the word')
  T.eq(args.take(params, 'blockSize'), 4, 'take')
  T.eq(params.blockSize, nil, 'taken out')
end)

T.test('tables: number formats and right-aligned columns', function()
  T.eq(tables.number(0.5), '0.5000', 'plain')
  T.eq(tables.number(0.000123456), '1.235e-04', 'small')
  T.eq(tables.number(0), '0.0000', 'zero')
  T.eq(tables.number(nil), '-', 'absent')
  T.eq(tables.number(vim.NIL), '-', 'null')
  T.eq(tables.layout({ 'a', 'bb' }, { { '1', '2' }, { '333', '4' } }), { '  a  bb', '  1   2', '333   4' }, 'layout')
end)

T.test('tables.sweep: one row per point, end-to-end columns, recommendation', function()
  local result = {
    model = 'abcdef0123456789', numTokens = 9, runId = 'r1', cached = true,
    points = {
      { blockSize = 4, selection = 'threshold', threshold = 0.01, prunedBlockFraction = 0.25, attentionKL = 0.002,
        prunedMass = 0.0019, fullyPrunedRows = 1, seedPrunedFraction = 0.6, seedKL = 0.05,
        endToEnd = { outputKL = 0.0001, top1Agreement = 1 } },
    },
    recommendation = {
      { blockSize = 4, metric = 'attentionKL', budget = 0.01,
        point = { selection = 'threshold', threshold = 0.01, prunedBlockFraction = 0.25, value = 0.002 } },
      { blockSize = 8, metric = 'attentionKL', budget = 0.01, point = vim.NIL, reason = 'no point' },
    },
  }
  local lines = tables.sweep(result, { model = { name = 'tiny' } })
  T.contains(lines[1], 'model tiny (abcdef012345) · 9 tokens · run r1 (cached)', 'header')
  T.eq(vim.split(vim.trim(lines[4]), '%s+'), { 'blockSize', 'selection', 'threshold', 'prunedBlockFraction',
    'attentionKL', 'prunedMass', 'fullyPrunedRows', 'seedPrunedFraction', 'seedKL', 'outputKL', 'top1Agreement' },
    'columns')
  T.eq(vim.split(vim.trim(lines[5]), '%s+'), { '4', 'threshold', '0.01', '0.2500', '0.0020', '0.0019', '1',
    '0.6000', '0.0500', '1.000e-04', '1.0000' }, 'row')
  T.contains(lines[7], 'recommended for blockSize 4: threshold 0.01', 'recommendation')
  T.eq(lines[8], 'blockSize 8: no point', 'no recommendation')
end)

T.test('socket checks refuse a missing socket, a shared folder and a file that is not a socket', function()
  local folder = vim.fn.tempname()
  T.eq(select(1, socket_check.check('relative.sock')), false, 'relative path')
  local ok, why = socket_check.check(folder .. '/attnd.sock')
  T.eq(ok, false, 'missing folder')
  T.contains(why, 'does not exist', 'message')
  vim.fn.mkdir(folder, 'p', 448) -- 0700
  ok, why = socket_check.check(folder .. '/attnd.sock')
  T.eq(ok, false, 'missing socket')
  T.contains(why, 'no socket at', 'message')
  vim.fn.writefile({ 'x' }, folder .. '/attnd.sock')
  ok, why = socket_check.check(folder .. '/attnd.sock')
  T.eq(ok, false, 'a regular file')
  T.contains(why, 'is a file, not a socket', 'message')
  uv.fs_chmod(folder, 511) -- 0777
  ok, why = socket_check.check(folder .. '/attnd.sock')
  T.eq(ok, false, 'a folder others may write')
  T.contains(why, 'writable by group or others (mode 777)', 'message')
  vim.fn.delete(folder, 'rf')
end)
