import JSONRPC

/// Human tables for a `pruneSweep` result: block sizes × rule values.
enum SweepRenderer {
    static func render(_ result: JSONValue, terminal: Terminal) -> String {
        let points = result["points"]?.arrayValue ?? result["aggregate"]?["points"]?.list ?? []
        var sections = [ResultHeader.line(method: "pruneSweep", result: result)]
        if result["points"] == nil, result["aggregate"] != nil {
            sections.append("(means over \(result["texts"]?.list.count ?? 0) texts)")
        }
        guard !points.isEmpty else { return (sections + ["no points"]).joined(separator: "\n") }
        let selection = points.first?["selection"]?.stringValue ?? "threshold"
        let ruleName = selection == "topK" ? "k" : (selection == "coverage" ? "coverage" : "τ")

        sections.append("")
        sections.append(terminal.bold("attentionKL nats (prunedBlockFraction) — \(selection) rule"))
        sections.append(grid(points, ruleName: ruleName) { point in
            "\(Format.nats(point["attentionKL"]?.metric)) (\(Format.percent(point["prunedBlockFraction"]?.metric)))"
        })
        sections.append("")
        sections.append(terminal.bold("notebook's seed columns, for comparison only: seedKL nats (seedPrunedFraction)"))
        sections.append("seedKL is mostly the clamp ε; seedPrunedFraction counts the causal mask as pruned.")
        sections.append(grid(points, ruleName: ruleName) { point in
            "\(Format.nats(point["seedKL"]?.metric)) (\(Format.percent(point["seedPrunedFraction"]?.metric)))"
        })

        let endToEnd = points.filter { $0["endToEnd"]?.objectValue != nil }
        if !endToEnd.isEmpty {
            var table = TextTable(headers: ["block", ruleName, "outputKL nats", "top-1 agree", "NLL full", "NLL pruned", "ppl full", "ppl pruned"])
            for point in endToEnd {
                let run = point["endToEnd"] ?? .null
                table.append([
                    String(point["blockSize"]?.intValue ?? 0), Format.ruleValue(point["threshold"]),
                    Format.nats(run["outputKL"]?.metric), Format.percent(run["top1Agreement"]?.metric),
                    Format.nats(run["nllFull"]?.metric), Format.nats(run["nllPruned"]?.metric),
                    Format.number(run["perplexityFull"]?.metric), Format.number(run["perplexityPruned"]?.metric),
                ])
            }
            sections += ["", terminal.bold("end to end (the rule applied inside every layer)"), table.render()]
        }

        let fallbacks = points.filter { ($0["fullyPrunedRows"]?.metric ?? 0) > 0 }
        if !fallbacks.isEmpty {
            let listed = fallbacks.map { point in
                "B=\(point["blockSize"]?.intValue ?? 0) \(ruleName)=\(Format.ruleValue(point["threshold"])): \(Format.number(point["fullyPrunedRows"]?.metric))"
            }
            sections += ["", "rows kept dense (every visible block would be pruned): " + listed.joined(separator: ", ")]
        }
        for entry in result["recommendation"]?.list ?? [] {
            let b = entry["blockSize"]?.intValue ?? 0
            let metric = entry["metric"]?.stringValue ?? "divergence"
            if let point = entry["point"], point != .null {
                sections.append("recommended for B=\(b): \(ruleName)=\(Format.ruleValue(point["threshold"])) — "
                    + "pruned \(Format.percent(point["prunedBlockFraction"]?.metric)), \(metric) \(Format.nats(point["value"]?.metric)) "
                    + "≤ budget \(Format.nats(entry["budget"]?.metric))")
            } else {
                sections.append("recommended for B=\(b): none — \(entry["reason"]?.stringValue ?? "no point within budget")")
            }
        }
        return sections.joined(separator: "\n")
    }

    /// Rows of block sizes × columns of rule values (both in order of first appearance).
    static func grid(_ points: [JSONValue], ruleName: String, cell: (JSONValue) -> String) -> String {
        var blockSizes: [Int] = []
        var rules: [String] = []
        var cells: [String: String] = [:]
        for point in points {
            let blockSize = point["blockSize"]?.intValue ?? 0
            let rule = Format.ruleValue(point["threshold"])
            if !blockSizes.contains(blockSize) { blockSizes.append(blockSize) }
            if !rules.contains(rule) { rules.append(rule) }
            cells["\(blockSize)|\(rule)"] = cell(point)
        }
        var table = TextTable(headers: ["block size"] + rules.map { "\(ruleName)=\($0)" })
        for blockSize in blockSizes {
            table.append([String(blockSize)] + rules.map { cells["\(blockSize)|\($0)"] ?? "—" })
        }
        return table.render()
    }
}
