import JSONRPC

/// Human tables for a `profileAttention` result: one row per (layer, head), then the summary.
enum ProfileRenderer {
    static func render(_ result: JSONValue, terminal: Terminal) -> String {
        var sections = [ResultHeader.line(method: "profileAttention", result: result)]
        // One text: layers[].heads[]; several texts: aggregate.heads[] (each with its layer).
        let layers = result["layers"]?.arrayValue ?? groupByLayer(result["aggregate"]?["heads"]?.list ?? [])
        let summary = result["summary"] ?? .null
        let thresholds = (summary["blocks"]?.list ?? layers.first?["heads"]?.list.first?["blocks"]?.list ?? [])
            .map { Format.ruleValue($0["threshold"]) }
        let headers = ["layer", "head", "entry sparse", "entropy nats", "sink", "local", "blocks for 95%"]
            + thresholds.map { "blocks<\($0)" }
        var table = TextTable(headers: headers, leftAligned: [])
        for layer in layers {
            for head in layer["heads"]?.list ?? [] {
                table.append([String(layer["layer"]?.intValue ?? 0), String(head["head"]?.intValue ?? 0)] + cells(head))
            }
        }
        if summary != .null { table.append(["all", "mean"] + cells(summary)) }
        sections += ["", terminal.bold("per head (honest: visible entries and blocks only)"), table.render()]

        if summary != .null {
            var seed = TextTable(headers: ["", "entry sparse"] + thresholds.map { "blocks<\($0)" })
            seed.append(["honest", Format.percent(summary["entrySparsity"]?.metric)]
                + (summary["blocks"]?.list ?? []).map { Format.percent($0["fraction"]?.metric) })
            seed.append(["notebook (seed)", Format.percent(summary["entrySparsitySeed"]?.metric)]
                + (summary["blocks"]?.list ?? []).map { Format.percent($0["fractionSeed"]?.metric) })
            sections += ["", terminal.bold("mean over heads: honest vs the notebook's numbers (seed counts future zeros and masked blocks)"),
                         seed.render()]
        }
        if let exported = result["exported"], let path = exported["path"]?.stringValue {
            sections += ["", "attention exported to \(path) (\(exported["bytes"]?.intValue ?? 0) bytes, float32)"]
        }
        return sections.joined(separator: "\n")
    }

    /// `aggregate.heads` (a flat list, each with `layer`) as `layers[].heads[]`.
    private static func groupByLayer(_ heads: [JSONValue]) -> [JSONValue] {
        let grouped: [Int: [JSONValue]] = Dictionary(grouping: heads) { $0["layer"]?.intValue ?? 0 }
        return grouped.keys.sorted().map { layer -> JSONValue in
            let members: [JSONValue] = grouped[layer] ?? []
            return JSONValue.object(["layer": JSONValue.int(Int64(layer)), "heads": JSONValue.array(members)])
        }
    }

    private static func cells(_ head: JSONValue) -> [String] {
        [Format.percent(head["entrySparsity"]?.metric), Format.number(head["entropy"]?.metric),
         Format.percent(head["sinkMass"]?.metric), Format.percent(head["localMass"]?.metric),
         Format.number(head["coverage"]?["p95"]?.metric)]
            + (head["blocks"]?.list ?? []).map { Format.percent($0["fraction"]?.metric) }
    }

    /// The block mask of one (layer, head) from `result.attention` (`[L][H][T][T]`).
    /// - Returns: nil when the result carries no attention for that head.
    static func mask(_ result: JSONValue, layer: Int, head: Int, blockSize: Int, threshold: Double, terminal: Terminal) -> String? {
        guard let rows = result["attention"]?.arrayValue?[safe: layer]?.arrayValue?[safe: head]?.arrayValue else { return nil }
        let attention = rows.map { $0.list.map { $0.doubleValue ?? 0 } }  // (T, T)
        let kept = BlockMask.rows(attention: attention, blockSize: blockSize, threshold: threshold)
        let tiles = BlockMask.tiles(kept, blockSize: blockSize)
        let labels = tiles.indices.map { "q\($0 * blockSize)" }
        let map = Heatmap(rowLabels: labels, rows: tiles, maximum: 1, zeroGlyph: "·", blankGlyph: " ",
                          maxColumns: terminal.width - 10)
        var lines = [terminal.bold("block mask, layer \(layer) head \(head): B=\(blockSize), τ=\(threshold) (threshold rule, no keep policy)")]
        lines += map.render(terminal: terminal)
        lines.append("rows: query blocks; columns: key blocks. █ every row keeps the block, · every row prunes it, blank: causally masked.")
        lines.append("shades: share of the tile's rows that keep the block; pruned here: \(Format.percent(BlockMask.prunedFraction(kept))) of visible (query, block) pairs")
        return lines.joined(separator: "\n")
    }
}

extension Array {
    subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
