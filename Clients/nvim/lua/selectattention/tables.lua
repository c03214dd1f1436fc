--- Plain-text tables of `profileAttention` and `pruneSweep` results (lists of lines). No Neovim
--- state: pure functions of the result tables, so they are tested on hand-made results.
local M = {}

--- A number as "%.4f", small ones in "%.3e" (KLs of a few micro-nats must not read as 0);
--- `nil`/vim.NIL as "-".
function M.number(value)
  if type(value) ~= 'number' then return '-' end
  if value ~= 0 and math.abs(value) < 0.001 then return string.format('%.3e', value) end
  return string.format('%.4f', value)
end

--- Lines of a table: `header` (list of column titles) and `rows` (lists of strings), columns
--- separated by two spaces, every column right-aligned (the titles too).
function M.layout(header, rows)
  local widths = {}
  for _, row in ipairs({ header, unpack(rows) }) do
    for column, cell in ipairs(row) do
      widths[column] = math.max(widths[column] or 0, vim.fn.strdisplaywidth(cell))
    end
  end
  local lines = {}
  for _, row in ipairs({ header, unpack(rows) }) do
    local cells = {}
    for column, cell in ipairs(row) do
      cells[column] = string.rep(' ', widths[column] - vim.fn.strdisplaywidth(cell)) .. cell
    end
    lines[#lines + 1] = table.concat(cells, '  ')
  end
  return lines
end

--- "model tiny-peaked (1a2b3c4d5e6f) · 21 tokens · run 0d5e… (cached)"
function M.run_line(result, server)
  local model = server and server.model
  local name = model and model.name or 'model'
  local fingerprint = type(result.model) == 'string' and result.model:sub(1, 12) or '?'
  return string.format('model %s (%s) · %d tokens · run %s%s', name, fingerprint, result.numTokens or 0,
    tostring(result.runId), result.cached and ' (cached)' or '')
end

--- The per-head table of a single-input `profileAttention` result, then its summary row.
function M.profile(result, server)
  local layers = result.layers or {}
  local thresholds = {}
  local first = layers[1] and layers[1].heads[1]
  for _, block in ipairs(first and first.blocks or {}) do thresholds[#thresholds + 1] = block.threshold end
  local header = { 'layer', 'head', 'entrySparsity', 'entropy', 'sinkMass', 'localMass', 'p90', 'p95', 'p99' }
  for _, threshold in ipairs(thresholds) do header[#header + 1] = 'blocks<' .. M.number(threshold):gsub('0+$', '') end
  local function cells(layer, head, stats)
    local row = { layer, head, M.number(stats.entrySparsity), M.number(stats.entropy), M.number(stats.sinkMass),
                  M.number(stats.localMass), M.number(stats.coverage.p90), M.number(stats.coverage.p95),
                  M.number(stats.coverage.p99) }
    for index in ipairs(thresholds) do row[#row + 1] = M.number(stats.blocks[index].fraction) end
    return row
  end
  local rows = {}
  for _, layer in ipairs(layers) do
    for _, head in ipairs(layer.heads) do
      rows[#rows + 1] = cells(tostring(layer.layer), tostring(head.head), head)
    end
  end
  if result.summary then rows[#rows + 1] = cells('mean', '', result.summary) end
  local lines = { 'attnd profileAttention · ' .. M.run_line(result, server),
                  'entropy in nats; p90/p95/p99: blocks to cover that share of a row; blocks<τ: share of visible (query, block) pairs with block max < τ',
                  '' }
  vim.list_extend(lines, M.layout(header, rows))
  return lines
end

--- The points of a single-input `pruneSweep` result, one row each, then its recommendation.
function M.sweep(result, server)
  local points = result.points or {}
  local end_to_end = points[1] and type(points[1].endToEnd) == 'table'
  local header = { 'blockSize', 'selection', 'threshold', 'prunedBlockFraction', 'attentionKL', 'prunedMass',
                   'fullyPrunedRows', 'seedPrunedFraction', 'seedKL' }
  if end_to_end then vim.list_extend(header, { 'outputKL', 'top1Agreement' }) end
  local rows = {}
  for _, point in ipairs(points) do
    local row = { tostring(point.blockSize), point.selection, tostring(point.threshold),
                  M.number(point.prunedBlockFraction), M.number(point.attentionKL), M.number(point.prunedMass),
                  tostring(point.fullyPrunedRows), M.number(point.seedPrunedFraction), M.number(point.seedKL) }
    if end_to_end then
      vim.list_extend(row, { M.number(point.endToEnd.outputKL), M.number(point.endToEnd.top1Agreement) })
    end
    rows[#rows + 1] = row
  end
  local lines = { 'attnd pruneSweep · ' .. M.run_line(result, server),
                  'KLs in nats; seedPrunedFraction and seedKL are the notebook\'s numbers (causal mask counted, ε-dominated)',
                  '' }
  vim.list_extend(lines, M.layout(header, rows))
  if type(result.recommendation) == 'table' then
    lines[#lines + 1] = ''
    for _, entry in ipairs(result.recommendation) do
      if type(entry.point) == 'table' then
        lines[#lines + 1] = string.format('recommended for blockSize %d: %s %s (prunedBlockFraction %s, %s %s ≤ %s)',
          entry.blockSize, entry.point.selection, tostring(entry.point.threshold),
          M.number(entry.point.prunedBlockFraction), entry.metric, M.number(entry.point.value), M.number(entry.budget))
      else
        lines[#lines + 1] = string.format('blockSize %d: %s', entry.blockSize, tostring(entry.reason))
      end
    end
  end
  return lines
end

return M
