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
        let plotWidth = max(460, Double(points.count) * 40)
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
        canvas.groupedBars(area: top, categories: labels, series: [
            BarSeries(label: "prunedBlockFraction", values: points.map(\.prunedBlockFraction), fill: honestFill, cssClass: "bar honest fraction"),
            BarSeries(label: "seedPrunedFraction", values: points.map(\.seedPrunedFraction), fill: notebookFill, cssClass: "bar notebook fraction"),
        ], y: fraction.map) { s, i, v in "\(points[i].name): \(s.label) \(NumberFormat.value(v))" }
        canvas.categoryAxis(area: top, labels: labels, title: "sweep point", rotate: true)

        let bottom = PlotArea(x: margin.left, y: top.bottom + axisSpace, width: plotWidth, height: panelHeight)
        let kls = points.compactMap(\.attentionKL) + points.compactMap(\.seedKL)
        let log = LogScale.fitting(kls, range: (bottom.bottom, bottom.y), roomBelow: true)
        canvas.leftAxis(area: bottom, scale: log, title: "KL (nats, log scale)")
        canvas.groupedBars(area: bottom, categories: labels, series: [
            BarSeries(label: "attentionKL", values: points.map(\.attentionKL), fill: honestFill, cssClass: "bar honest kl"),
            BarSeries(label: "seedKL", values: points.map(\.seedKL), fill: notebookFill, cssClass: "bar notebook kl"),
        ], y: log.map) { s, i, v in "\(points[i].name): \(s.label) \(NumberFormat.value(v)) nats" }
        canvas.categoryAxis(area: bottom, labels: labels, title: "sweep point", rotate: true)

        var caption = "This tool's metrics beside the notebook's for run \(sweep.run.shortID). " + explanation(seedEpsilon: sweep.seedEpsilon)
        let clamped = kls.filter(log.isClamped).count
        if clamped > 0 {
            caption += " \(clamped) KL value\(clamped == 1 ? "" : "s") below 1e\(log.loExponent) nats (0 when nothing was pruned) \(clamped == 1 ? "has" : "have") no visible bar: the axis starts at that floor."
        }
        return Figure(name: "honest-vs-notebook-\(sweep.run.shortID).svg", title: "This tool against the notebook",
                      caption: caption, canvas: canvas)
    }
}
