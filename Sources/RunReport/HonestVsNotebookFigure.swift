import AttnProtocol

/// Figure 5: the honest metrics beside the notebook's, per sweep point. Top:
/// prunedBlockFraction beside seedPrunedFraction (fraction). Bottom: attentionKL beside
/// seedKL (nats, log scale). Dark bars are this tool's numbers, light bars the notebook's.
enum HonestVsNotebookFigure {
    static let honestFill = ColorScale.viridis(0.12)
    static let notebookFill = ColorScale.viridis(0.88)

    /// The two sentences the report prints under the figure.
    static func explanation(seedEpsilon: Double) -> String {
        "seedPrunedFraction, the notebook's “blocks pruned”, also counts the blocks the causal mask hides anyway, so most of it is the mask; prunedBlockFraction counts only visible blocks the rule skipped. "
            + "seedKL clamps both distributions to ε = \(NumberFormat.value(seedEpsilon)) before summing, so most of its value comes from ε, not from what was pruned; attentionKL = −ln(kept mass) is the exact KL of the renormalised pruned attention."
    }

    static func make(_ sweep: SweepResult) -> Figure? {
        let points = sweep.points
        guard !points.isEmpty else { return nil }
        let labels = points.map { $0.name.replacingOccurrences(of: ", ", with: " ") }
        let margin = (left: 70.0, right: 20.0, top: 12.0), panelHeight = 180.0, axisSpace = 96.0
        let plotWidth = min(max(460, Double(points.count) * 40), 1000)
        let entries = [
            LegendEntry(label: "this tool (prunedBlockFraction, attentionKL)", shape: .square, color: honestFill,
                        hollow: false, dash: nil, showLine: false),
            LegendEntry(label: "notebook (seedPrunedFraction, seedKL)", shape: .square, color: notebookFill,
                        hollow: false, dash: nil, showLine: false),
        ]
        let legendHeight = SVGCanvas.legendHeight(entries, maxWidth: plotWidth) + 8
        var canvas = SVGCanvas(width: margin.left + plotWidth + margin.right,
                               height: margin.top + legendHeight + 2 * (panelHeight + axisSpace))
        canvas.legend(entries, x: margin.left, y: margin.top, maxWidth: plotWidth)

        let top = PlotArea(x: margin.left, y: margin.top + legendHeight + 6, width: plotWidth, height: panelHeight)
        let fraction = LinearScale(domain: (0, 1), range: (top.bottom, top.y))
        canvas.leftAxis(area: top, scale: fraction, title: "blocks pruned (fraction)")
        pairedBars(&canvas, area: top, points: points, labels: labels, y: fraction.map, unit: "", kind: "fraction",
                   honest: ("prunedBlockFraction", points.map { $0.prunedBlockFraction }),
                   notebook: ("seedPrunedFraction", points.map { $0.seedPrunedFraction }))

        let bottom = PlotArea(x: margin.left, y: top.bottom + axisSpace, width: plotWidth, height: panelHeight)
        let kls = points.map(\.attentionKL) + points.map(\.seedKL)
        let log = LogScale.fitting(kls, range: (bottom.bottom, bottom.y), roomBelow: true)
        canvas.leftAxis(area: bottom, scale: log, title: "KL (nats, log scale)")
        pairedBars(&canvas, area: bottom, points: points, labels: labels, y: log.map, unit: " nats", kind: "kl",
                   honest: ("attentionKL", points.map { $0.attentionKL }), notebook: ("seedKL", points.map { $0.seedKL }))

        var caption = "This tool's metrics beside the notebook's for run \(sweep.run.shortID). " + explanation(seedEpsilon: sweep.seedEpsilon)
        let labelled = thinnedColumns(count: points.count, width: plotWidth, minSpacing: 24).count
        if labelled < points.count {
            caption += " \(labelled) of the \(points.count) points are labelled under the axis (hover a bar for its point)."
        }
        let clamped = kls.filter(log.isClamped).count
        if clamped > 0 {
            caption += " \(clamped) KL value\(clamped == 1 ? "" : "s") below 1e\(log.loExponent) nats (0 when nothing was pruned) \(clamped == 1 ? "has" : "have") no visible bar: the axis starts at that floor."
        }
        return Figure(name: "honest-vs-notebook-\(sweep.run.shortID).svg", title: "This tool against the notebook",
                      caption: caption, canvas: canvas)
    }

    /// One panel's bars: the honest value (dark) beside the notebook's (light) for each point,
    /// classes `bar honest <kind>` / `bar notebook <kind>`, with the point names under them.
    private static func pairedBars(_ canvas: inout SVGCanvas, area: PlotArea, points: [SweepPoint], labels: [String],
                                   y: (Double) -> Double, unit: String, kind: String,
                                   honest: (name: String, values: [Double?]), notebook: (name: String, values: [Double?])) {
        canvas.groupedBars(area: area, categories: labels, series: [
            BarSeries(label: honest.name, values: honest.values, fill: honestFill, cssClass: "bar honest \(kind)"),
            BarSeries(label: notebook.name, values: notebook.values, fill: notebookFill, cssClass: "bar notebook \(kind)"),
        ], y: y) { s, i, v in "\(points[i].name): \(s.label) \(NumberFormat.value(v))\(unit)" }
        canvas.categoryAxis(area: area, labels: labels, title: "sweep point", rotate: true)
    }
}
