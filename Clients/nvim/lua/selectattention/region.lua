--- The part of a buffer a command analyses, and the mapping from UTF-8 byte offsets into its
--- text (what `tokenize` returns) to buffer positions.
---
--- Positions are 0-based rows and 0-based **byte** columns, end exclusive: what extmarks take.
--- The region's text is its lines joined with "\n" (one byte), so an offset counts the bytes of
--- the lines before it plus one per line break.
local M = {}

--- The byte length of the UTF-8 character whose first byte is `byte`; 1 for anything else
--- (an invalid byte counts as a character of its own, as Neovim shows it).
local function char_length(byte)
  if byte >= 0xF0 and byte <= 0xF7 then return 4 end
  if byte >= 0xE0 then return byte <= 0xEF and 3 or 1 end
  if byte >= 0xC0 then return 2 end
  return 1
end

--- A region: `bufnr`, `start_row`, `start_col` (first byte), `end_row`, `end_col` (exclusive),
--- `lines` (the text of each row inside the region), `text`, `line_starts` (the offset of each
--- region line's first byte in `text`), `changedtick` (the buffer's, when it was read).
local function make(bufnr, start_row, start_col, end_row, end_col)
  local lines = vim.api.nvim_buf_get_lines(bufnr, start_row, end_row + 1, false)
  local last = #lines
  lines[last] = lines[last]:sub(1, end_col)
  lines[1] = lines[1]:sub(start_col + 1)
  local line_starts, offset = {}, 0
  for i, line in ipairs(lines) do
    line_starts[i] = offset
    offset = offset + #line + 1
  end
  return {
    bufnr = bufnr, start_row = start_row, start_col = start_col, end_row = end_row, end_col = end_col,
    lines = lines, text = table.concat(lines, '\n'), line_starts = line_starts,
    changedtick = vim.api.nvim_buf_get_changedtick(bufnr),
  }
end

--- Whole lines `first_row` … `last_row` (0-based, inclusive) of `bufnr`.
function M.lines(bufnr, first_row, last_row)
  local end_line = vim.api.nvim_buf_get_lines(bufnr, last_row, last_row + 1, false)[1] or ''
  return make(bufnr, first_row, 0, last_row, #end_line)
end

--- The whole buffer.
function M.buffer(bufnr)
  return M.lines(bufnr, 0, math.max(vim.api.nvim_buf_line_count(bufnr) - 1, 0))
end

--- The region a user command was given: the whole buffer without a range; the characters of the
--- last visual selection when it was charwise (`v`) and the range is its lines (`:'<,'>`); else
--- whole lines `line1` … `line2` (linewise and blockwise selections, `:3,7`).
--- `command` is the table a user command receives (`range`, `line1`, `line2`).
function M.from_command(bufnr, command)
  if not command or command.range == 0 then
    return M.buffer(bufnr)
  end
  local first_row, last_row = command.line1 - 1, command.line2 - 1
  local from, to = vim.fn.getpos("'<"), vim.fn.getpos("'>")
  if vim.fn.visualmode() == 'v' and from[2] - 1 == first_row and to[2] - 1 == last_row then
    local end_line = vim.api.nvim_buf_get_lines(bufnr, last_row, last_row + 1, false)[1] or ''
    local last_byte = math.min(to[3], #end_line) -- 1-based first byte of the last character
    local end_col = #end_line == 0 and 0 or last_byte - 1 + char_length(end_line:byte(last_byte))
    return make(bufnr, first_row, math.max(from[3] - 1, 0), last_row, math.min(end_col, #end_line))
  end
  return M.lines(bufnr, first_row, last_row)
end

--- The buffer position `{row, col}` of byte `offset` (0 … #text) of the region's text. An
--- offset at a line break is the end of its line; the offset after it is column 0 of the next.
function M.position(region, offset)
  local starts = region.line_starts
  local low, high = 1, #starts
  while low < high do -- the last line starting at or before offset
    local middle = math.floor((low + high + 1) / 2)
    if starts[middle] <= offset then low = middle else high = middle - 1 end
  end
  local col = offset - starts[low]
  if low == 1 then col = col + region.start_col end
  return { region.start_row + low - 1, col }
end

--- `[start, stop)` widened to whole characters of `text`: a start inside a multi-byte character
--- moves back to its first byte, an end inside one moves on past its last byte. (A byte-level
--- BPE token can hold part of a character: `tokenize` gives it offsets inside that character.)
function M.widen_to_characters(text, start, stop)
  local function continuation(index) -- 0-based
    local byte = text:byte(index + 1)
    return byte ~= nil and byte >= 0x80 and byte <= 0xBF
  end
  while start > 0 and continuation(start) do start = start - 1 end
  while stop < #text and continuation(stop) do stop = stop + 1 end
  return start, stop
end

M.char_length = char_length

return M
