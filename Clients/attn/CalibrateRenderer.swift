import AttnProtocol

/// Human tables for a `calibrate` result: the layers × heads grids of rule value and density,
/// the overall computed fraction, the end-to-end check and how the search went.
enum CalibrateRenderer {
    /// What a dense head's cell reads.
    static let denseCell = "dense"

    static func render(_ response: CalibrateResponse, grid: CalibrationGrid = .tileDensity, terminal: Terminal) -> String {
        let r = response.body, table = r.perHead
        func wrap(_ text: String) -> String { Prose.wrap(text, width: terminal.tableWidth) }
        var sections = [ResultHeader.line(method: "calibrate", fields: response.fields, width: terminal.tableWidth), ""]
        sections.append(wrap("budget: \(budgetText(r.budget)); a head skipping less than \(Format.percent(r.budget.denseBelowSparsity)) "
            + "of its work stays dense — \(r.withinBudget ? "within budget" : "NOT within budget")"))
        if let reason = r.reason { sections.append(wrap(reason)) }

        let shape = "\(table.selection.rawValue) rule, Bq=\(table.queryBlockSize) × B=\(table.blockSize), estimator \(table.estimator.rawValue)"
            + (table.keepSink ? ", keep sink" : "") + (table.keepLocal ? ", keep local" : "")
        sections += ["", terminal.title("rule value per head (\(Format.ruleName(table.selection))) — \(shape)"),
                     headGrid(r.heads, width: terminal.tableWidth) { $0.value.map(Format.ruleValue) }]
        let what = grid == .tileDensity ? "tileDensity per head (kept tiles / causally visible tiles)"
            : "computedFraction per head (computed / dense causal attention)"
        sections += ["", terminal.title(what), headGrid(r.heads, width: terminal.tableWidth) { head in
            head.dense ? nil : compactPercent(grid == .tileDensity ? head.tileDensity : head.computedFraction)
        }]

        var reasons: [String: Int] = [:]
        for head in r.heads where head.dense { reasons[head.denseReason ?? "dense", default: 0] += 1 }
        let why = reasons.isEmpty ? "" : " (" + reasons.keys.sorted().map { "\($0) \(reasons[$0]!)" }.joined(separator: ", ") + ")"
        sections += ["", wrap("overall: computes \(Format.percent(r.computedFraction)) of dense causal attention (tile density "
            + "\(Format.percent(r.tileDensity)), recall \(Format.percent(r.recall))); \(r.denseHeads) of \(r.heads.count) heads dense\(why)")]

        let c = r.check
        var check = TextTable(headers: ["outputKL nats", "top-1 agree", "NLL dense", "NLL pruned", "ppl dense", "ppl pruned"], leftAligned: [])
        check.append([Format.nats(c.outputKL), Format.percent(c.top1Agreement), Format.nll(c.nllFull), Format.nll(c.nllPruned),
                      Format.number(c.perplexityFull), Format.number(c.perplexityPruned)])
        sections += ["", terminal.title("check: the calibrated configuration end to end on the calibration inputs (means over texts)"),
                     check.render(width: terminal.tableWidth)]

        let s = r.search
        var search = "search: \(s.method) over \(s.candidates.count) candidate values"
        if s.method == "globalAllocation" { search += " and \(s.allocationSteps) allocation steps" }
        search += "; \(s.prunedPasses) pruned pass\(s.prunedPasses == 1 ? "" : "es") (the check included)"
        sections += ["", wrap(search)]
        if !s.probes.isEmpty {
            var probes = TextTable(headers: ["steps", "outputKL nats", "computed"], leftAligned: [])
            for p in s.probes { probes.append([String(p.steps), Format.nats(p.outputKL), Format.percent(p.computedFraction)]) }
            sections += ["", terminal.title("configurations measured (allocation steps taken, in the order measured)"),
                         probes.render(width: terminal.tableWidth)]
        }
        let name = response.fields.history.stored ? String(response.fields.runId.prefix(8)) : "calib.json"
        sections += ["", wrap((response.fields.history.stored ? "" : "not stored: save this result with --json > calib.json; ")
            + "held-out check: attn sweep --per-head \(name) --end-to-end --file heldout.txt --split paragraphs")]
        return sections.joined(separator: "\n")
    }

    /// The budget in words.
    static func budgetText(_ b: CalibrateResult.Budget) -> String {
        switch b.metric {
        case "outputKL": return "outputKL ≤ \(Format.nats(b.value)) nats per position (end to end)"
        case "attentionKL": return "attentionKL ≤ \(Format.nats(b.value)) nats per head"
        case "recall": return "recall ≥ \(Format.percent(b.value)) per head"
        default: return "\(b.metric) \(Format.number(b.value))"
        }
    }

    /// Layers × heads: `cell` of each head, `dense` where it returns nil. Rows `L0`, columns `h0`
    /// so that 12 heads of six characters fit 100 columns.
    static func headGrid(_ heads: [CalibratedHead], width: Int?, cell: (CalibratedHead) -> String?) -> String {
        let layers = (heads.map(\.layer).max() ?? -1) + 1, count = (heads.map(\.head).max() ?? -1) + 1
        var cells = [[String]](repeating: [String](repeating: "—", count: count), count: layers)
        for head in heads { cells[head.layer][head.head] = cell(head) ?? denseCell }
        var table = TextTable(headers: ["L"] + (0..<count).map { "h\($0)" })
        for (l, row) in cells.enumerated() { table.append(["L\(l)"] + row) }
        return table.render(width: width)
    }

    /// A fraction as a short percentage (at most five characters): `43%`, `4.2%`, `<0.1%`.
    static func compactPercent(_ value: Double) -> String {
        let percent = value * 100
        if percent == 0 { return "0%" }
        if percent < 0.1 { return "<0.1%" }
        if percent < 9.95 { return String(format: "%.1f%%", percent) }
        return String(format: "%.0f%%", percent)
    }
}

extension CSV {
    /// `attn calibrate --csv`: one row per (layer, head), layer-major; `value` empty for a dense head.
    static func calibration(_ response: CalibrateResponse) -> String {
        render(["layer", "head", "value", "dense", "denseReason", "tileDensity", "computedFraction", "recall", "attentionKL"],
               response.body.heads.map { h in
                   [String(h.layer), String(h.head), number(h.value), String(h.dense), h.denseReason ?? "", number(h.tileDensity),
                    number(h.computedFraction), number(h.recall), number(h.attentionKL)]
               })
    }
}
