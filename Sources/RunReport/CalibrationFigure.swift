import AttnProtocol

/// For a calibration run: (layers × heads) heatmaps of the chosen configuration's tileDensity and
/// computedFraction per head, dense heads drawn white with a cross (they compute everything:
/// their cells are not on the colour scale), and the overall numbers with the check in a table.
enum CalibrationFigure {
    /// The fill of a dense head's cell, off the viridis scale.
    static let denseFill = "#ffffff"

    static func make(_ calibration: CalibrationRun) -> Figure? {
        let layers = calibration.numLayers, heads = calibration.numHeads
        guard layers > 0, heads > 0 else { return nil }
        let panels: [(metric: String, title: String, value: (CalibratedHead) -> Double)] = [
            ("tileDensity", "tile density (kept / visible tiles)", { $0.tileDensity }),
            ("computedFraction", "computed fraction (of dense causal)", { $0.computedFraction }),
        ]
        let table = calibration.result.perHead
        let cell = min(max(220 / Double(max(layers, heads)), 9), 26)
        let plot = (width: Double(heads) * cell, height: Double(layers) * cell)
        let panelWidth = 56 + max(plot.width, 150) + 16 + SVGCanvas.colorBarWidth + 10
        var canvas = SVGCanvas(width: Double(panels.count) * panelWidth, height: 34 + plot.height + 52 + 22)
        for (i, panel) in panels.enumerated() {
            let area = PlotArea(x: Double(i) * panelWidth + 56, y: 34, width: plot.width, height: plot.height)
            let values = calibration.heads.map { row in row.map { head in head.flatMap { $0.dense ? nil : panel.value($0) } } }
            let spec = HeatmapSpec(
                values: values, range: (0, 1), rowLabels: (0..<layers).map(String.init),
                columnLabels: thinnedColumns(count: heads, width: plot.width, minSpacing: 12).map { ($0, String($0)) },
                rowTitle: "layer", columnTitle: panel.title, colorBarTitle: panel.title,
                tooltip: { l, h, _ in tooltip(calibration.heads[l][h], layer: l, head: h, selection: table.selection) })
            canvas.addRaw("<g class=\"heatmap\" data-metric=\"\(panel.metric)\">")
            canvas.heatmap(area: area, spec: spec)
            let w = area.width / Double(heads), hgt = area.height / Double(layers)
            for (l, row) in calibration.heads.enumerated() {
                for (h, head) in row.enumerated() where head?.dense == true {
                    let x = area.x + Double(h) * w, y = area.y + Double(l) * hgt
                    canvas.rect(x: x, y: y, width: w, height: hgt, fill: denseFill, stroke: "#555555", cssClass: "dense",
                                tooltip: tooltip(head, layer: l, head: h, selection: table.selection), crisp: true)
                    canvas.line(x1: x + 2, y1: y + 2, x2: x + w - 2, y2: y + hgt - 2, stroke: "#555555", cssClass: "dense-mark")
                    canvas.line(x1: x + w - 2, y1: y + 2, x2: x + 2, y2: y + hgt - 2, stroke: "#555555", cssClass: "dense-mark")
                }
            }
            canvas.text("head", x: area.x + area.width / 2, y: area.bottom + 40, size: 11, anchor: .middle, cssClass: "axis-label x")
            canvas.colorBar(x: area.right + 12, y: area.y, height: max(area.height, 100), range: spec.range, title: "fraction")
            canvas.addRaw("</g>")
        }
        let legendY = 34 + max(plot.height, 100) + 40
        canvas.rect(x: 56, y: legendY, width: 12, height: 12, fill: denseFill, stroke: "#555555", cssClass: "legend dense")
        canvas.line(x1: 58, y1: legendY + 2, x2: 66, y2: legendY + 10, stroke: "#555555")
        canvas.line(x1: 66, y1: legendY + 2, x2: 58, y2: legendY + 10, stroke: "#555555")
        canvas.text("dense head (attends to every visible key: \(calibration.result.denseHeads) of \(layers * heads))",
                    x: 74, y: legendY + 10, size: 10.5, cssClass: "legend-label")
        canvas.height = max(canvas.height, legendY + 22)

        let r = calibration.result
        var caption = "Per-head calibration of run \(calibration.run.shortID) to \(budgetText(r.budget)): "
        caption += "the \(table.selection.rawValue) rule on Bq=\(table.queryBlockSize) × B=\(table.blockSize) tiles chosen by the "
        caption += "\(table.estimator.rawValue) estimator, one cell per (layer, head), fractions of the calibration inputs' rows. "
        caption += "White crossed cells are heads left dense; overall the calibrated model computes "
        caption += "\(NumberFormat.value(r.computedFraction)) of dense causal attention"
        caption += r.withinBudget ? ", within budget." : ", not within budget."
        return Figure(name: "calibration-\(calibration.run.shortID).svg", title: "Per-head calibration", caption: caption, canvas: canvas)
    }

    /// The budget in words (the metric, its bound and its unit).
    static func budgetText(_ b: CalibrateResult.Budget) -> String {
        switch b.metric {
        case "outputKL": return "outputKL ≤ \(NumberFormat.value(b.value)) nats per position (end to end)"
        case "attentionKL": return "attentionKL ≤ \(NumberFormat.value(b.value)) nats per head"
        case "recall": return "recall ≥ \(NumberFormat.value(b.value)) per head"
        default: return "\(b.metric) \(NumberFormat.value(b.value))"
        }
    }

    private static func tooltip(_ head: CalibratedHead?, layer: Int, head index: Int, selection: Selection) -> String {
        guard let head else { return "layer \(layer), head \(index): missing" }
        let value = head.value.map { "\(selection.rawValue) \(NumberFormat.value($0))" } ?? "dense (\(head.denseReason ?? "dense"))"
        return "layer \(layer), head \(index): \(value); tile density \(NumberFormat.value(head.tileDensity)), computed "
            + "\(NumberFormat.value(head.computedFraction)), recall \(NumberFormat.value(head.recall)), attentionKL "
            + "\(NumberFormat.value(head.attentionKL)) nats"
    }

    /// The calibration's overall numbers and its end-to-end check, as one table.
    static func table(_ calibration: CalibrationRun) -> String {
        let r = calibration.result, c = r.check
        func v(_ x: Double?) -> String { x.map(NumberFormat.value) ?? "–" }
        var rows: [[String]] = [
            ["budget", budgetText(r.budget)],
            ["within budget", r.withinBudget ? "yes" : "no"],
        ]
        if let reason = r.reason { rows.append(["reason", reason]) }
        rows += [
            ["dense heads", "\(r.denseHeads) of \(r.heads.count)"],
            ["computedFraction (of dense causal attention)", v(r.computedFraction)],
            ["tileDensity (kept / visible tiles)", v(r.tileDensity)],
            ["recall (mean kept mass)", v(r.recall)],
            ["check: outputKL (nats per position)", v(c.outputKL)],
            ["check: top1Agreement", v(c.top1Agreement)],
            ["check: NLL dense / pruned (nats)", "\(v(c.nllFull)) / \(v(c.nllPruned))"],
            ["check: perplexity dense / pruned", "\(v(c.perplexityFull)) / \(v(c.perplexityPruned))"],
            ["search", "\(r.search.method), \(r.search.candidates.count) candidates, \(r.search.prunedPasses) pruned passes"],
        ]
        return "<h4>Calibration (the check: the calibrated configuration end to end on the calibration inputs)</h4>"
            + HTMLTables.table(nil, rows, cssClass: "params calibration")
    }
}
