import AttnProtocol
import JSONRPC

/// HTML tables: the run's facts and params (figure 6), a sweep's points, a profile summary.
/// Every cell passes through `XMLText.escape`.
enum HTMLTables {
    /// Text params longer than this are cut (the full value stays in the run history).
    static let maxParamCharacters = 240
    /// Arrays longer than this (e.g. `tokens`) are shown as their first entries and a count.
    static let maxArrayEntries = 16

    static func table(_ header: [String]?, _ rows: [[String]], cssClass: String) -> String {
        var s = "<table class=\"\(cssClass)\">"
        if let header {
            s += "<thead><tr>" + header.map { "<th>\(XMLText.escape($0))</th>" }.joined() + "</tr></thead>"
        }
        s += "<tbody>"
        for row in rows {
            s += "<tr>" + row.enumerated().map { i, cell in
                header == nil && i == 0 ? "<th scope=\"row\">\(XMLText.escape(cell))</th>" : "<td>\(XMLText.escape(cell))</td>"
            }.joined() + "</tr>"
        }
        return s + "</tbody></table>"
    }

    /// Figure 6: id, method, status, model fingerprint, date (UTC, ISO 8601), runtime, then
    /// every param sorted by name.
    static func runFacts(_ run: StoredRun) -> String {
        var rows: [[String]] = [["id", run.id], ["method", run.method]]
        if let status = run.status { rows.append(["status", status]) }
        rows.append(["model fingerprint", run.model ?? "not recorded"])
        rows.append(["date (UTC)", run.createdAtMs.map { NumberFormat.isoDate(ms: $0) } ?? "not recorded"])
        rows.append(["runtime", run.durationMs.map { NumberFormat.duration(ms: $0) } ?? "not recorded"])
        if let tokens = run.result?["numTokens"]?.intValue { rows.append(["tokens", String(tokens)]) }
        for key in run.params.keys.sorted() {
            rows.append(["params.\(key)", paramText(run.params[key] ?? .null)])
        }
        return table(nil, rows, cssClass: "params")
    }

    static func paramText(_ value: JSONValue) -> String {
        if let array = value.arrayValue, array.count > maxArrayEntries {
            let head = array.prefix(maxArrayEntries).map(compactText).joined(separator: ", ")
            return "[\(head), …] (\(array.count) entries)"
        }
        let text = compactText(value)
        guard text.count > maxParamCharacters else { return text }
        return String(text.prefix(maxParamCharacters)) + "… (\(text.count) characters)"
    }

    /// A string as itself, a number in the report's format, anything else as compact JSON.
    static func compactText(_ value: JSONValue) -> String {
        if let s = value.stringValue { return s }
        if case .bool = value { return JSONWriter.string(value) }
        if let d = value.doubleValue { return NumberFormat.value(d) }
        return JSONWriter.string(value)
    }

    /// Every point of a sweep with the honest and the notebook numbers, then (with end-to-end
    /// results) a second table of the pruned forward pass, so neither is wider than the page.
    static func sweepPoints(_ sweep: SweepResult) -> String {
        let header = ["selection", "block size", "threshold", "prunedBlockFraction", "seedPrunedFraction",
                      "prunedMass", "attentionKL (nats)", "seedKL (nats)", "fullyPrunedRows", "rows kept dense (fraction)"]
        func v(_ x: Double?) -> String { x.map(NumberFormat.value) ?? "–" }
        let rows = sweep.points.map { p -> [String] in
            [p.selection.rawValue, String(p.blockSize), p.thresholdLabel, v(p.prunedBlockFraction), v(p.seedPrunedFraction),
             v(p.prunedMass), v(p.attentionKL), v(p.seedKL), String(p.fullyPrunedRows),
             sweep.denseFallbackShare(p).map { NumberFormat.value($0) + (sweep.fallbackDominates(p) ? " (dominates)" : "") } ?? "–"]
        }
        var tables = scrolling(table(header, rows, cssClass: "numbers"))
        let endToEnd = sweep.points.compactMap { p in p.endToEnd.map { (p, $0) } }
        if !endToEnd.isEmpty {
            tables += "<h4>End to end (the rule applied inside every layer)</h4>" + scrolling(table(
                ["selection", "block size", "threshold", "outputKL (nats)", "top1Agreement", "nllFull (nats)", "nllPruned (nats)",
                 "perplexityFull", "perplexityPruned"],
                endToEnd.map { p, e in
                    [p.selection.rawValue, String(p.blockSize), p.thresholdLabel, v(e.outputKL), v(e.top1Agreement), v(e.nllFull),
                     v(e.nllPruned), v(e.perplexityFull), v(e.perplexityPruned)]
                }, cssClass: "numbers end-to-end"))
        }
        var note = ""
        let tooLarge = Set(sweep.points.map(\.blockSize)).filter { $0 >= sweep.numTokens && sweep.run.params["texts"] == nil }.sorted()
        if !tooLarge.isEmpty {
            note += "<p class=\"note block-size\">Block size\(tooLarge.count == 1 ? "" : "s") \(tooLarge.map(String.init).joined(separator: ", ")) "
                + "\(tooLarge.count == 1 ? "is" : "are") at least the \(sweep.numTokens) tokens of the input: every query sees a single key block, "
                + "which is never pruned, so those points prune nothing by construction.</p>"
        }
        let dominated = sweep.points.filter(sweep.fallbackDominates)
        if !dominated.isEmpty {
            note += "<p class=\"note fallback\">At \(dominated.map(\.name).joined(separator: "; ")) most (layer, head, query) rows "
                + "were kept dense because the rule would have pruned every visible block, so prunedBlockFraction there reflects the "
                + "fallback, not the rule: a larger threshold can then prune less than a smaller one.</p>"
        }
        return "<details open=\"open\"><summary>All \(sweep.points.count) sweep points</summary>" + tables + note + "</details>"
    }

    /// A table in a box that scrolls sideways instead of overflowing the page.
    static func scrolling(_ table: String) -> String { "<div class=\"table-scroll\">\(table)</div>" }

    /// A profile's `summary` (the mean over every layer and head) as one row per metric.
    static func summary(_ summary: ProfileSummary?) -> String {
        guard let s = summary else { return "" }
        var rows: [[String]] = [
            ["entrySparsity (fraction)", NumberFormat.value(s.entrySparsity)],
            ["entrySparsitySeed (fraction, notebook)", NumberFormat.value(s.entrySparsitySeed)],
            ["entropy (nats)", NumberFormat.value(s.entropy)],
            ["sinkMass (fraction)", NumberFormat.value(s.sinkMass)],
            ["localMass (fraction)", NumberFormat.value(s.localMass)],
        ]
        for b in s.blocks {
            rows.append(["blocks below \(NumberFormat.value(b.threshold)) (fraction; notebook)",
                         "\(NumberFormat.value(b.fraction)); \(NumberFormat.value(b.fractionSeed))"])
        }
        rows.append(["coverage p90 / p95 / p99 (blocks)",
                     [s.coverage.p90, s.coverage.p95, s.coverage.p99].map(NumberFormat.value).joined(separator: " / ")])
        return "<h4>Summary (mean over every layer and head)</h4>" + table(nil, rows, cssClass: "params")
    }
}
