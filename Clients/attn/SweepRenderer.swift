import AttnProtocol

/// Human tables for a `pruneSweep` result: block sizes × rule values.
enum SweepRenderer {
    static func render(_ response: PruneSweepResponse, terminal: Terminal) -> String {
        let result = response.body
        let points = result.points ?? result.aggregate?.points.map(\.means) ?? []
        var sections = [ResultHeader.line(method: "pruneSweep", fields: response.fields)]
        if result.points == nil, result.aggregate != nil {
            sections.append("(means over \(result.texts?.count ?? 0) texts)")
        }
        guard let selection = points.first?.selection else { return (sections + ["no points"]).joined(separator: "\n") }
        let ruleName = Format.ruleName(selection)

        sections.append("")
        sections.append(terminal.bold("attentionKL nats (prunedBlockFraction) — \(selection.rawValue) rule"))
        sections.append(grid(points, ruleName: ruleName) { point in
            "\(Format.nats(point.attentionKL)) (\(Format.percent(point.prunedBlockFraction)))"
        })
        sections.append("")
        sections.append(terminal.bold("notebook's seed columns, for comparison only: seedKL nats (seedPrunedFraction)"))
        sections.append("seedKL is mostly the clamp ε; seedPrunedFraction counts the causal mask as pruned.")
        sections.append(grid(points, ruleName: ruleName) { point in
            "\(Format.nats(point.seedKL)) (\(Format.percent(point.seedPrunedFraction)))"
        })

        let endToEnd = points.compactMap { point in point.endToEnd.map { (point, $0) } }
        if !endToEnd.isEmpty {
            var table = TextTable(headers: ["block", ruleName, "outputKL nats", "top-1 agree", "NLL full", "NLL pruned", "ppl full", "ppl pruned"])
            for (point, run) in endToEnd {
                table.append([
                    String(point.blockSize), Format.ruleValue(point.threshold),
                    Format.nats(run.outputKL), Format.percent(run.top1Agreement),
                    Format.nats(run.nllFull), Format.nats(run.nllPruned),
                    Format.number(run.perplexityFull), Format.number(run.perplexityPruned),
                ])
            }
            sections += ["", terminal.bold("end to end (the rule applied inside every layer)"), table.render()]
        }

        let fallbacks = points.filter { $0.fullyPrunedRows > 0 }
        if !fallbacks.isEmpty {
            let listed = fallbacks.map { point in
                "B=\(point.blockSize) \(ruleName)=\(Format.ruleValue(point.threshold)): \(point.fullyPrunedRows)"
            }
            sections += ["", "rows kept dense (every visible block would be pruned): " + listed.joined(separator: ", ")]
        }
        for entry in result.recommendation ?? [] {
            if let point = entry.point {
                sections.append("recommended for B=\(entry.blockSize): \(ruleName)=\(Format.ruleValue(point.threshold)) — "
                    + "pruned \(Format.percent(point.prunedBlockFraction)), \(entry.metric) \(Format.nats(point.value)) "
                    + "≤ budget \(Format.nats(entry.budget))")
            } else {
                sections.append("recommended for B=\(entry.blockSize): none — \(entry.reason ?? "no point within budget")")
            }
        }
        return sections.joined(separator: "\n")
    }

    /// Rows of block sizes × columns of rule values (both in order of first appearance).
    static func grid(_ points: [SweepPoint], ruleName: String, cell: (SweepPoint) -> String) -> String {
        var blockSizes: [Int] = []
        var rules: [String] = []
        var cells: [String: String] = [:]
        for point in points {
            let rule = Format.ruleValue(point.threshold)
            if !blockSizes.contains(point.blockSize) { blockSizes.append(point.blockSize) }
            if !rules.contains(rule) { rules.append(rule) }
            cells["\(point.blockSize)|\(rule)"] = cell(point)
        }
        var table = TextTable(headers: ["block size"] + rules.map { "\(ruleName)=\($0)" })
        for blockSize in blockSizes {
            table.append([String(blockSize)] + rules.map { cells["\(blockSize)|\($0)"] ?? "—" })
        }
        return table.render()
    }
}

extension SweepPointStat {
    /// The point with every metric at its mean over texts (the tables show means).
    var means: SweepPoint {
        SweepPoint(selection: selection, blockSize: blockSize, threshold: threshold,
                   prunedBlockFraction: prunedBlockFraction.mean, seedPrunedFraction: seedPrunedFraction.mean,
                   prunedMass: prunedMass.mean, attentionKL: attentionKL.mean, seedKL: seedKL.mean,
                   fullyPrunedRows: Int(fullyPrunedRows.mean.rounded()),
                   endToEnd: endToEnd.map { e in
                       EndToEnd(outputKL: e.outputKL.mean, top1Agreement: e.top1Agreement.mean, nllFull: e.nllFull?.mean,
                                nllPruned: e.nllPruned?.mean, perplexityFull: e.perplexityFull?.mean,
                                perplexityPruned: e.perplexityPruned?.mean)
                   })
    }
}
