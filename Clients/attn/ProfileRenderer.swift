import AttnProtocol

/// Human tables for a `profileAttention` result: one row per (layer, head), then the summary.
enum ProfileRenderer {
    /// The numbers of one table row (a head, or the mean over heads; means over texts for `texts`).
    struct Row {
        var layer: String
        var head: String
        var entrySparsity: Double
        var entropy: Double
        var sinkMass: Double
        var localMass: Double
        /// blocks
        var coverage95: Double
        /// In the order of `thresholds`.
        var blockFractions: [Double]
    }

    static func render(_ response: ProfileAttentionResponse, terminal: Terminal) -> String {
        let result = response.body
        var sections = [ResultHeader.line(method: "profileAttention", fields: response.fields, width: terminal.tableWidth)]
        if result.layers == nil, result.aggregate != nil { sections.append("(means over \(result.texts?.count ?? 0) texts)") }
        let rows = Self.rows(result)
        let thresholds = Self.thresholds(result)
        let labels = thresholds.map { "blocks<\(Format.ruleValue($0))" }
        var table = TextTable(headers: ["layer", "head", "entry sparse", "entropy nats", "sink", "local", "blocks for 95%"] + labels,
                              leftAligned: [], keyColumns: 2)
        for row in rows {
            table.append([row.layer, row.head, Format.percent(row.entrySparsity), Format.number(row.entropy),
                          Format.percent(row.sinkMass), Format.percent(row.localMass), Format.number(row.coverage95)]
                         + row.blockFractions.map { Format.percent($0) })
        }
        sections += ["", terminal.title("per head (honest: visible entries and blocks only)"), table.render(width: terminal.tableWidth)]

        if let summary = result.summary {
            var seed = TextTable(headers: ["", "entry sparse"] + labels)
            seed.append(["honest", Format.percent(summary.entrySparsity)] + summary.blocks.map { Format.percent($0.fraction) })
            seed.append(["notebook (seed)", Format.percent(summary.entrySparsitySeed)] + summary.blocks.map { Format.percent($0.fractionSeed) })
            sections += ["", terminal.title("mean over heads: honest vs the notebook's numbers (seed counts future zeros and masked blocks)"),
                         seed.render(width: terminal.tableWidth)]
        }
        let roles = RolesRenderer.render(result, terminal: terminal)
        if !roles.isEmpty { sections += ["", roles] }
        if let exported = result.exported {
            sections += ["", "attention exported to \(exported.path) (\(exported.bytes ?? 0) bytes, float32)"]
        }
        return sections.joined(separator: "\n")
    }

    /// Every head's row (layer-major), then the mean over heads when the result has a summary;
    /// for `texts`, each metric's mean over texts.
    static func rows(_ result: ProfileAttentionResult) -> [Row] {
        var rows: [Row] = []
        for layer in result.layers ?? [] {
            for h in layer.heads {
                rows.append(Row(layer: String(layer.layer), head: String(h.head), entrySparsity: h.entrySparsity, entropy: h.entropy,
                                sinkMass: h.sinkMass, localMass: h.localMass, coverage95: h.coverage.p95,
                                blockFractions: h.blocks.map(\.fraction)))
            }
        }
        if result.layers == nil {
            for h in result.aggregate?.heads ?? [] {
                rows.append(Row(layer: String(h.layer), head: String(h.head), entrySparsity: h.entrySparsity.mean, entropy: h.entropy.mean,
                                sinkMass: h.sinkMass.mean, localMass: h.localMass.mean, coverage95: h.coverage.p95.mean,
                                blockFractions: h.blocks.map(\.fraction.mean)))
            }
        }
        if let s = result.summary {
            rows.append(Row(layer: "all", head: "mean", entrySparsity: s.entrySparsity, entropy: s.entropy, sinkMass: s.sinkMass,
                            localMass: s.localMass, coverage95: s.coverage.p95, blockFractions: s.blocks.map(\.fraction)))
        }
        return rows
    }

    /// The block thresholds of the columns, in the order of the params.
    static func thresholds(_ result: ProfileAttentionResult) -> [Double] {
        result.summary?.blocks.map(\.threshold) ?? result.layers?.first?.heads.first?.blocks.map(\.threshold)
            ?? result.aggregate?.heads.first?.blocks.map(\.threshold) ?? []
    }

    /// The daemon's block mask (`blockMasks`) of one (layer, head) at `threshold`, drawn as
    /// query-block tiles: tile `(i, j)` shows the share of the rows of query block `i` that keep
    /// key block `j` among those that can see it (blank when none can: causally masked).
    /// - Returns: nil when the result carries no mask for that threshold, layer and head.
    static func mask(_ result: ProfileAttentionResult, layer: Int, head: Int, blockSize: Int, threshold: Double,
                     terminal: Terminal) -> String? {
        guard let mask = result.blockMasks?.first(where: { $0.threshold == threshold }),
              let rows = mask.kept[safe: layer]?[safe: head] else { return nil }  // [T]
        let kept = rows.map { row in row.map { $0 == "1" } }
        let blocks = kept.last?.count ?? 0
        let tiles: [[Double?]] = stride(from: 0, to: kept.count, by: blockSize).map { start in
            let tileRows = kept[start..<min(kept.count, start + blockSize)]
            return (0..<blocks).map { block in
                let visible = tileRows.compactMap { $0[safe: block] }
                guard !visible.isEmpty else { return nil }
                return Double(visible.filter { $0 }.count) / Double(visible.count)
            }
        }
        let pairs = kept.map(\.count).reduce(0, +)
        let pruned = kept.map { $0.filter { !$0 }.count }.reduce(0, +)
        let labels = tiles.indices.map { "q\($0 * blockSize)" }
        let map = Heatmap(rowLabels: labels, rows: tiles, maximum: 1, zeroGlyph: "·", blankGlyph: " ",
                          maxColumns: terminal.width - 10)
        var lines = [terminal.title("block mask, layer \(layer) head \(head): B=\(blockSize), τ=\(Format.ruleValue(threshold)) (daemon's threshold rule, no keep policy)")]
        lines += map.render(terminal: terminal)
        lines.append(Prose.wrap("rows: query blocks; columns: key blocks. █ every row keeps the block, · every row prunes it, "
            + "blank: causally masked.", width: terminal.tableWidth))
        lines.append(Prose.wrap("shades: share of the tile's rows that keep the block; pruned here: "
            + "\(Format.percent(pairs == 0 ? 0 : Double(pruned) / Double(pairs))) of visible (query, block) pairs", width: terminal.tableWidth))
        return lines.joined(separator: "\n")
    }
}

extension Array {
    subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
