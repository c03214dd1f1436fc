import AttnProtocol

/// Human tables for a `pruneSweep` result: block sizes × rule values.
enum SweepRenderer {
    /// What the request asked of the tiles (the points do not echo it), for the tile table's title.
    struct TileLabel {
        var queryBlockSize: Int
        var estimator: Estimator
    }

    /// - Parameter model: the model's layers and heads, for the dense-fallback share (nil when
    ///   unknown, e.g. the daemon now holds another model: the counts are shown instead).
    /// - Parameter tiles: the request's Bq and estimator (nil: not known; the title omits them).
    static func render(_ response: PruneSweepResponse, model: (layers: Int, heads: Int)?, terminal: Terminal,
                       tiles: TileLabel? = nil) -> String {
        let result = response.body
        let points = result.points ?? result.aggregate?.points.map(\.means) ?? []
        let fallback = Self.fallback(response, model: model)
        let dominated = points.contains { fallback?.dominates($0) == true }
        var sections = [ResultHeader.line(method: "pruneSweep", fields: response.fields, width: terminal.tableWidth)]
        if result.points == nil, result.aggregate != nil {
            sections.append("(means over \(result.texts?.count ?? 0) texts)")
        }
        guard let selection = points.first?.selection else { return (sections + ["no points"]).joined(separator: "\n") }
        let ruleName = Format.ruleName(selection)
        func wrap(_ text: String) -> String { Prose.wrap(text, width: terminal.tableWidth) }

        sections.append("")
        sections.append(terminal.title("attentionKL nats (prunedBlockFraction) — \(selection.rawValue) rule"))
        sections.append(grid(points, ruleName: ruleName, width: terminal.tableWidth) { point in
            "\(Format.nats(point.attentionKL)) (\(Format.percent(point.prunedBlockFraction)))"
                + (fallback?.dominates(point) == true ? " †" : "")
        })
        if let table = tileTable(result.points ?? [], ruleName: ruleName, label: tiles, width: terminal.tableWidth) {
            sections += ["", terminal.title(table.title), table.body]
        }
        if let exported = result.exportedMask {
            sections.append(wrap("BlockMask arrays of \(exported.points.count) point\(exported.points.count == 1 ? "" : "s") written to \(exported.path)"
                + " (point-000 … in the order above; load with BlockMask.from_kv_blocks, BLOCK_SIZE from mask.json)"))
        }
        let shortest = result.texts?.map(\.numTokens).min() ?? response.fields.numTokens
        let tooLarge = Set(points.map(\.blockSize)).filter { $0 >= shortest }.sorted()
        if !tooLarge.isEmpty {
            sections.append(wrap("warning: block size\(tooLarge.count == 1 ? "" : "s") \(tooLarge.map(String.init).joined(separator: ", ")) ≥ "
                + "\(shortest) tokens\(result.texts == nil ? "" : " (the shortest text)"): every query sees a single key block, which is "
                + "never pruned, so \(tooLarge.count == 1 ? "that row prunes" : "those rows prune") nothing; use block sizes below \(shortest)"))
        }
        if dominated {
            sections.append(wrap("† most rows (> \(Format.percent(DenseFallback.dominantShare))) were kept dense because the rule would have pruned every "
                + "visible block: there prunedBlockFraction reflects the fallback, not the rule (see the dense-fallback table)"))
        }
        if points.contains(where: { $0.fullyPrunedRows > 0 }) {
            sections += ["", terminal.title("rows kept dense (fallback): share of the L·H·T (layer, head, query) rows")]
            sections.append(grid(points, ruleName: ruleName, width: terminal.tableWidth) { point in
                guard let share = fallback?.share(point) else { return "\(point.fullyPrunedRows) rows" }
                return Format.percent(share) + (fallback?.dominates(point) == true ? " †" : "")
            })
        }
        sections.append("")
        sections.append(terminal.title("notebook's seed columns, for comparison: seedKL nats (seedPrunedFraction)"))
        sections.append(wrap("seedKL is mostly the clamp ε; seedPrunedFraction counts the causal mask as pruned."))
        sections.append(grid(points, ruleName: ruleName, width: terminal.tableWidth) { point in
            "\(Format.nats(point.seedKL)) (\(Format.percent(point.seedPrunedFraction)))"
        })

        let endToEnd = points.compactMap { point in point.endToEnd.map { (point, $0) } }
        if !endToEnd.isEmpty {
            var table = TextTable(headers: ["block", ruleName, "outputKL nats", "top-1 agree", "NLL full", "NLL pruned", "ppl full", "ppl pruned"], keyColumns: 2)
            for (point, run) in endToEnd {
                table.append([
                    String(point.blockSize), Format.ruleValue(point.threshold),
                    Format.nats(run.outputKL), Format.percent(run.top1Agreement),
                    Format.nll(run.nllFull), Format.nll(run.nllPruned),
                    Format.number(run.perplexityFull), Format.number(run.perplexityPruned),
                ])
            }
            sections += ["", terminal.title("end to end (the rule applied inside every layer)"), table.render(width: terminal.tableWidth)]
        }

        for entry in result.recommendation ?? [] {
            if let point = entry.point {
                sections.append(wrap("recommended for B=\(entry.blockSize): \(ruleName)=\(Format.ruleValue(point.threshold)) — "
                    + "pruned \(Format.percent(point.prunedBlockFraction)), \(entry.metric) \(Format.nats(point.value)) "
                    + "≤ budget \(Format.nats(entry.budget))"))
            } else {
                sections.append(wrap("recommended for B=\(entry.blockSize): none — \(entry.reason ?? "no point within budget")"))
            }
        }
        return sections.joined(separator: "\n")
    }

    /// Tile points: per point the divergence beside what the tiles keep and cost — tileDensity,
    /// computedFraction, recall and its 5th percentile. Nil when no point is a tile point.
    static func tileTable(_ points: [SweepPoint], ruleName: String, label: TileLabel?, width: Int?) -> (title: String, body: String)? {
        let tiled = points.filter { $0.computedFraction != nil }
        guard !tiled.isEmpty else { return nil }
        var table = TextTable(headers: ["block", ruleName, "attentionKL nats", "tileDensity", "computed", "recall", "recall p5"], keyColumns: 2)
        for point in tiled {
            table.append([
                String(point.blockSize), Format.ruleValue(point.threshold), Format.nats(point.attentionKL),
                point.tileDensity.map(Format.percent) ?? "—", point.computedFraction.map(Format.percent) ?? "—",
                point.recall.map(Format.percent) ?? "—", point.recallP5.map(Format.percent) ?? "—",
            ])
        }
        let who = label.map { "Bq=\($0.queryBlockSize) queries × B keys, estimator \($0.estimator.rawValue)" } ?? "query block × key block"
        return ("tiles (\(who)): what is kept and computed", table.render(width: width))
    }

    /// The dense-fallback shares of the points, when the model's shape is known.
    static func fallback(_ response: PruneSweepResponse, model: (layers: Int, heads: Int)?) -> DenseFallback? {
        model.map { m in
            response.body.points == nil ? DenseFallback(response.body, layers: m.layers, heads: m.heads)
                : DenseFallback(points: response.body.points ?? [], numTokens: response.fields.numTokens, layers: m.layers, heads: m.heads)
        }
    }

    /// Rows of block sizes × columns of rule values (both in order of first appearance).
    static func grid(_ points: [SweepPoint], ruleName: String, width: Int? = nil, cell: (SweepPoint) -> String) -> String {
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
        return table.render(width: width)
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
