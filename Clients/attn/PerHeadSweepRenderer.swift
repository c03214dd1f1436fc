import AttnProtocol

/// `attn sweep --per-head`: the one point of a per-head configuration, beside the calibration's
/// own numbers when they are known — on held-out `texts` the check of whether the calibration
/// generalises, each metric's mean over texts with its 95% interval (Protocol/README.md §12).
enum PerHeadSweepRenderer {
    /// One metric's row: the calibration's number, the sweep's (mean over texts) and its interval.
    private struct Row {
        var name: String
        var calibration: Double?
        var value: Double?
        var interval: String
        var format: (Double?) -> String
    }

    static func render(_ response: PruneSweepResponse, calibration: PerHeadOption.Resolved, terminal: Terminal) -> String {
        let result = response.body
        func wrap(_ text: String) -> String { Prose.wrap(text, width: terminal.tableWidth) }
        var sections = [ResultHeader.line(method: "pruneSweep", fields: response.fields, width: terminal.tableWidth), ""]
        let texts = result.texts ?? []
        let name = calibration.runId.map { "calibration \($0.prefix(8))" } ?? "the per-head table"
        var title = "per-head configuration of \(name)"
        if let c = calibration.calibration?.body {
            title += " (\(CalibrateRenderer.budgetText(c.budget)); Bq=\(c.perHead.queryBlockSize) × B=\(c.perHead.blockSize), "
                + "estimator \(c.perHead.estimator.rawValue))"
        }
        title += texts.isEmpty ? " on one input" : " on \(texts.count) texts: means over texts with 95% intervals"
        sections.append(terminal.title(title))

        let rows = self.rows(result, calibration: calibration.calibration?.body)
        var table = TextTable(headers: ["metric", "calibration", texts.isEmpty ? "this input" : "mean", "95% interval"])
        for row in rows { table.append([row.name, row.format(row.calibration), row.format(row.value), row.interval]) }
        sections.append(table.render(width: terminal.tableWidth))
        sections.append(wrap("calibration: its own numbers on its inputs (recall, computed fraction and tile density pooled over "
            + "its rows); \(texts.isEmpty ? "this input: the sweep's" : "mean: the mean over these texts")"))
        if !texts.isEmpty, texts.count < 2 { sections.append(wrap("one text: no interval (give two or more texts, e.g. --split paragraphs)")) }
        if calibration.calibration == nil {
            sections.append(wrap("the calibration's own numbers are unknown here (an inline table, or a run not in this history)"))
        }
        if !rows.contains(where: { $0.name.hasPrefix("outputKL") }) {
            sections.append(wrap("add --end-to-end for outputKL, top-1 agreement and NLL of the pruned model"))
        }
        return sections.joined(separator: "\n")
    }

    private static func rows(_ result: PruneSweepResult, calibration c: CalibrateResult?) -> [Row] {
        let perText = (result.texts ?? []).compactMap(\.points.first)
        let single = result.points?.first
        let stat = result.aggregate?.points.first
        func interval(_ s: Stat?, _ format: (Double?) -> String, flip: Bool = false) -> String {
            guard let s, let lo = s.lower, let hi = s.upper else { return "—" }
            return flip ? "[\(format(1 - hi)), \(format(1 - lo))]" : "[\(format(lo)), \(format(hi))]"
        }
        /// A tile field's mean over the texts' points and their range (the aggregate carries none).
        func tile(_ field: (SweepPoint) -> Double?) -> (Double?, String) {
            if let single { return (field(single), "—") }
            let values = perText.compactMap(field)
            guard !values.isEmpty else { return (nil, "—") }
            let mean = values.reduce(0, +) / Double(values.count)
            return (mean, values.count < 2 ? "—" : "range \(Format.percent(values.min()))–\(Format.percent(values.max()))")
        }
        var rows: [Row] = []
        let e = single?.endToEnd, es = stat?.endToEnd
        if e != nil || es != nil {
            rows.append(Row(name: "outputKL nats", calibration: c?.check.outputKL, value: e?.outputKL ?? es?.outputKL.mean,
                            interval: interval(es?.outputKL, Format.nats), format: Format.nats))
            rows.append(Row(name: "top-1 agreement", calibration: c?.check.top1Agreement, value: e?.top1Agreement ?? es?.top1Agreement.mean,
                            interval: interval(es?.top1Agreement, Format.percent), format: Format.percent))
            rows.append(Row(name: "NLL dense", calibration: c?.check.nllFull, value: e?.nllFull ?? es?.nllFull?.mean,
                            interval: interval(es?.nllFull, Format.nll), format: Format.nll))
            rows.append(Row(name: "NLL pruned", calibration: c?.check.nllPruned, value: e?.nllPruned ?? es?.nllPruned?.mean,
                            interval: interval(es?.nllPruned, Format.nll), format: Format.nll))
            rows.append(Row(name: "ppl dense", calibration: c?.check.perplexityFull, value: e?.perplexityFull ?? es?.perplexityFull?.mean,
                            interval: interval(es?.perplexityFull, Format.number), format: Format.number))
            rows.append(Row(name: "ppl pruned", calibration: c?.check.perplexityPruned,
                            value: e?.perplexityPruned ?? es?.perplexityPruned?.mean,
                            interval: interval(es?.perplexityPruned, Format.number), format: Format.number))
        }
        let recall = single.map { 1 - $0.prunedMass } ?? stat.map { 1 - $0.prunedMass.mean }
        rows.append(Row(name: "recall (kept mass)", calibration: c?.recall, value: recall,
                        interval: interval(stat?.prunedMass, Format.percent, flip: true), format: Format.percent))
        rows.append(Row(name: "attentionKL nats", calibration: nil, value: single?.attentionKL ?? stat?.attentionKL.mean,
                        interval: interval(stat?.attentionKL, Format.nats), format: Format.nats))
        let computed = tile(\.computedFraction), density = tile(\.tileDensity)
        rows.append(Row(name: "computed fraction", calibration: c?.computedFraction, value: computed.0, interval: computed.1,
                        format: Format.percent))
        rows.append(Row(name: "tile density", calibration: c?.tileDensity, value: density.0, interval: density.1, format: Format.percent))
        return rows
    }
}
