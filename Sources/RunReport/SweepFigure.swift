import AttnProtocol

import Foundation

/// Figure 1: sparsity against divergence. One panel per block size; in each, every run's
/// points at prunedBlockFraction (x) against attentionKL and, when the run has end-to-end
/// numbers, outputKL (y, log scale, nats). Runs differ by marker shape and colour.
enum SweepFigure {
    static let panelHeight = 300.0
    static let margin = (left: 64.0, right: 28.0, top: 26.0, bottom: 48.0)

    static func make(_ sweeps: [SweepResult]) -> Figure? {
        let sweeps = sweeps.filter { !$0.points.isEmpty }
        guard !sweeps.isEmpty else { return nil }
        let allPoints = sweeps.flatMap(\.points)
        let blockSizes = Array(Set(allPoints.map(\.blockSize))).sorted()
        let hasOutputKL = allPoints.contains { $0.endToEnd?.outputKL != nil }

        let columns = min(3, blockSizes.count)
        let panelWidth = columns <= 2 ? 400.0 : 330.0
        let panelRows = (blockSizes.count + columns - 1) / columns
        let width = max(Double(columns) * panelWidth, 560)

        var entries = sweeps.enumerated().map { i, sweep in
            LegendEntry(label: runLabel(sweep, distinguishSelection: Set(sweeps.map { $0.points.first?.selection }).count > 1),
                        shape: .forIndex(i), color: ColorScale.categorical(i), hollow: false, dash: nil, showLine: false)
        }
        entries.append(LegendEntry(label: "attentionKL (filled, solid)", shape: .circle, color: "#555555",
                                   hollow: false, dash: nil, showLine: true))
        if hasOutputKL {
            entries.append(LegendEntry(label: "outputKL, end to end (hollow, dashed)", shape: .circle, color: "#555555",
                                       hollow: true, dash: "5 3", showLine: true))
        }
        let legendHeight = SVGCanvas.legendHeight(entries, maxWidth: width - 20) + 12
        var canvas = SVGCanvas(width: width, height: legendHeight + Double(panelRows) * panelHeight + 8)
        canvas.legend(entries, x: 12, y: 8, maxWidth: width - 20)

        // Shared scales, so panels compare at a glance.
        let xs = allPoints.map(\.prunedBlockFraction)
        var xDomain = LinearScale.niceDomain(lo: xs.min() ?? 0, hi: xs.max() ?? 1)
        xDomain = (max(0, xDomain.lo), min(1, xDomain.hi))
        if xDomain.hi <= xDomain.lo { xDomain = (0, 1) }
        let yValues = allPoints.map(\.attentionKL) + allPoints.compactMap { $0.endToEnd?.outputKL }
        var clamped = 0
        var flagged = 0

        for (panel, blockSize) in blockSizes.enumerated() {
            let origin = (x: Double(panel % columns) * panelWidth, y: legendHeight + Double(panel / columns) * panelHeight)
            let area = PlotArea(x: origin.x + margin.left, y: origin.y + margin.top,
                                width: panelWidth - margin.left - margin.right,
                                height: panelHeight - margin.top - margin.bottom)
            let x = LinearScale(domain: xDomain, range: (area.x, area.right))
            let y = LogScale.fitting(yValues, range: (area.bottom, area.y))
            canvas.addRaw("<g class=\"panel\" data-block-size=\"\(blockSize)\">")
            canvas.text("block size \(blockSize) tokens", x: area.x + area.width / 2, y: origin.y + 16, size: 12,
                        anchor: .middle, weight: "bold", cssClass: "panel-title")
            canvas.leftAxis(area: area, scale: y, title: "KL divergence (nats, log scale)")
            canvas.bottomAxis(area: area, scale: x, title: "prunedBlockFraction (fraction)")
            if yValues.contains(where: y.isClamped) {
                let fy = y.map(0)
                canvas.text("0 and < 1e\(y.loExponent) drawn here", x: area.right - 4, y: fy - 4, size: 8.5,
                            anchor: .end, fill: "#555555", cssClass: "floor-note")
            }
            for (i, sweep) in sweeps.enumerated() {
                let points = sweep.points.filter { $0.blockSize == blockSize }.sorted { $0.prunedBlockFraction < $1.prunedBlockFraction }
                let color = ColorScale.categorical(i), shape = MarkerShape.forIndex(i)
                let attention = points.map { p in (p, p.attentionKL) }
                let output = points.compactMap { p in p.endToEnd.map { (p, $0.outputKL) } }
                canvas.polyline(output.map { (x.map($0.0.prunedBlockFraction), y.map($0.1)) }, stroke: color, dash: "5 3",
                                cssClass: "series output-kl")
                canvas.polyline(attention.map { (x.map($0.0.prunedBlockFraction), y.map($0.1)) }, stroke: color,
                                cssClass: "series attention-kl")
                for (p, kl) in output {
                    if y.isClamped(kl) { clamped += 1 }
                    canvas.marker(shape, x: x.map(p.prunedBlockFraction), y: y.map(kl), color: color, hollow: true,
                                  cssClass: "marker output-kl",
                                  tooltip: "run \(sweep.run.shortID), \(p.name): prunedBlockFraction \(NumberFormat.value(p.prunedBlockFraction)), outputKL \(NumberFormat.value(kl)) nats")
                }
                for (p, kl) in attention {
                    if y.isClamped(kl) { clamped += 1 }
                    let px = x.map(p.prunedBlockFraction), py = y.map(kl)
                    canvas.marker(shape, x: px, y: py, color: color, hollow: false, cssClass: "marker attention-kl",
                                  tooltip: "run \(sweep.run.shortID), \(p.name): prunedBlockFraction \(NumberFormat.value(p.prunedBlockFraction)), attentionKL \(NumberFormat.value(kl)) nats")
                    let dominated = sweep.fallbackDominates(p)
                    if dominated {
                        flagged += 1
                        canvas.marker(.circle, x: px, y: py, color: "#000000", hollow: true, radius: 8.5, cssClass: "fallback-dominated",
                                      tooltip: "\(p.name): \(NumberFormat.value(sweep.denseFallbackShare(p) ?? 0)) of rows kept dense (fallback)")
                    }
                    canvas.text(p.thresholdLabel + (dominated ? " (dense)" : ""), x: px + 6, y: py - 6, size: 8.5, fill: "#333333",
                                cssClass: "point-label")
                }
            }
            canvas.addRaw("</g>")
        }
        return Figure(name: "sweep-divergence.svg", title: "Sparsity against divergence",
                      caption: caption(sweeps, hasOutputKL: hasOutputKL, clamped: clamped, flagged: flagged,
                                       floor: LogScale.fitting(yValues, range: (0, 1)).loExponent),
                      canvas: canvas)
    }

    static func runLabel(_ sweep: SweepResult, distinguishSelection: Bool) -> String {
        var label = "run \(sweep.run.shortID)"
        label += ", \(sweep.numTokens) tokens"
        if distinguishSelection, let s = sweep.points.first?.selection { label += ", \(s.rawValue)" }
        return label
    }

    private static func caption(_ sweeps: [SweepResult], hasOutputKL: Bool, clamped: Int, flagged: Int, floor: Int) -> String {
        var s = "Sparsity against divergence for \(sweeps.count) run\(sweeps.count == 1 ? "" : "s"), one panel per block size. "
        s += "x: prunedBlockFraction, the share of causally visible (query, block) pairs the rule skipped. "
        s += "y (log scale, nats): attentionKL, the mean KL(Q‖P) = −ln(kept mass) of the renormalised pruned attention"
        s += hasOutputKL ? "; hollow markers on dashed lines: outputKL, the end-to-end KL of the next-token distributions when the pruning is applied inside every layer. " : ". "
        s += "Points are labelled with their threshold (k for topK, cov for coverage, rel c for relativeThreshold: the cut c / visible keys)."
        if clamped > 0 {
            s += " \(clamped) value\(clamped == 1 ? " is" : "s are") below 1e\(floor) nats (0 when nothing was pruned) and drawn on the bottom edge at the floor 1e\(floor)."
        }
        if flagged > 0 {
            s += " \(flagged) ringed point\(flagged == 1 ? "" : "s") (labelled “dense”) kept most rows dense because the rule would have pruned every visible block: there prunedBlockFraction reflects that fallback, not the rule, which is why a larger threshold can sit left of a smaller one."
        }
        return s
    }
}
