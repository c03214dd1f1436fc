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
        if let tokens = LooseJSON.int(run.result?["numTokens"]) { rows.append(["tokens", String(tokens)]) }
        for key in run.params.keys.sorted() {
            rows.append(["params.\(key)", paramText(run.params[key] as Any)])
        }
        return table(nil, rows, cssClass: "params")
    }

    static func paramText(_ value: Any) -> String {
        if let array = value as? [Any], array.count > maxArrayEntries {
            let head = array.prefix(maxArrayEntries).map(LooseJSON.compactText).joined(separator: ", ")
            return "[\(head), …] (\(array.count) entries)"
        }
        let text = LooseJSON.compactText(value)
        guard text.count > maxParamCharacters else { return text }
        return String(text.prefix(maxParamCharacters)) + "… (\(text.count) characters)"
    }

    /// Every point of a sweep with the honest and the notebook numbers.
    static func sweepPoints(_ sweep: SweepResult) -> String {
        let hasEndToEnd = sweep.points.contains { $0.endToEnd != nil }
        var header = ["selection", "block size", "threshold", "prunedBlockFraction", "seedPrunedFraction",
                      "prunedMass", "attentionKL (nats)", "seedKL (nats)", "fullyPrunedRows"]
        if hasEndToEnd { header += ["outputKL (nats)", "top1Agreement", "nllFull (nats)", "nllPruned (nats)"] }
        func v(_ x: Double?) -> String { x.map(NumberFormat.value) ?? "–" }
        let rows = sweep.points.map { p -> [String] in
            var row = [p.selection, String(p.blockSize), p.thresholdLabel, v(p.prunedBlockFraction), v(p.seedPrunedFraction),
                       v(p.prunedMass), v(p.attentionKL), v(p.seedKL), p.fullyPrunedRows.map(String.init) ?? "–"]
            if hasEndToEnd {
                let e = p.endToEnd
                row += [v(e?.outputKL), v(e?.top1Agreement), v(e?.nllFull), v(e?.nllPruned)]
            }
            return row
        }
        return "<details open=\"open\"><summary>All \(sweep.points.count) sweep points</summary>"
            + table(header, rows, cssClass: "numbers") + "</details>"
    }

    /// A profile's `summary` object as name/value rows; empty when there is none.
    static func summary(_ summary: [String: Any]) -> String {
        guard !summary.isEmpty else { return "" }
        let rows = summary.keys.sorted().map { [$0, paramText(summary[$0] as Any)] }
        return "<h4>Summary</h4>" + table(nil, rows, cssClass: "params")
    }
}
