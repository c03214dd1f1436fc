import AttnProtocol

/// Figure 2: per-layer divergence at one sweep point: attentionKL per layer (nats) above
/// prunedBlockFraction per layer (fraction), sharing the layer axis.
enum LayerBarsFigure {
    /// The point to show: `selection` when the run has it, else the sparsest point; the note
    /// says which and why.
    static func choosePoint(_ sweep: SweepResult, selection: (blockSize: Int, threshold: Double)?) -> (SweepPoint, note: String)? {
        if let selection, let p = sweep.point(blockSize: selection.blockSize, threshold: selection.threshold) {
            return (p, "the requested point")
        }
        guard let sparsest = sweep.sparsestPoint else { return nil }
        if let selection {
            return (sparsest, "the sparsest point: the requested B=\(selection.blockSize), threshold \(NumberFormat.value(selection.threshold)) is not in this run")
        }
        return (sparsest, "the sparsest point (largest prunedBlockFraction)")
    }

    static func make(_ sweep: SweepResult, selection: (blockSize: Int, threshold: Double)?) -> Figure? {
        guard let (point, note) = choosePoint(sweep, selection: selection), let layers = point.layers, !layers.isEmpty else { return nil }
        let margin = (left: 70.0, right: 20.0, top: 16.0, bottom: 50.0), panelHeight = 170.0, gap = 40.0
        let plotWidth = max(440, Double(layers.count) * 24)
        var canvas = SVGCanvas(width: margin.left + plotWidth + margin.right,
                               height: margin.top + 2 * panelHeight + gap + margin.bottom)
        let labels = layers.map { String($0.layer) }

        let top = PlotArea(x: margin.left, y: margin.top, width: plotWidth, height: panelHeight)
        let kls = layers.map(\.attentionKL)
        let klScale = LinearScale(domain: LinearScale.niceDomain(lo: 0, hi: max(kls.max() ?? 0, 1e-9), count: 4),
                                  range: (top.bottom, top.y))
        canvas.leftAxis(area: top, scale: klScale, title: "attentionKL (nats)")
        canvas.groupedBars(area: top, categories: labels,
                           series: [BarSeries(label: "attentionKL", values: layers.map { $0.attentionKL }, fill: ColorScale.viridis(0.2),
                                              cssClass: "bar attention-kl")],
                           y: klScale.map) { _, i, v in "layer \(layers[i].layer): attentionKL \(NumberFormat.value(v)) nats" }
        canvas.categoryAxis(area: top, labels: labels, title: "", rotate: false)

        let bottom = PlotArea(x: margin.left, y: top.bottom + gap, width: plotWidth, height: panelHeight)
        let fractionScale = LinearScale(domain: (0, 1), range: (bottom.bottom, bottom.y))
        canvas.leftAxis(area: bottom, scale: fractionScale, title: "prunedBlockFraction")
        canvas.groupedBars(area: bottom, categories: labels,
                           series: [BarSeries(label: "prunedBlockFraction", values: layers.map { $0.prunedBlockFraction },
                                              fill: ColorScale.viridis(0.6), cssClass: "bar pruned-fraction")],
                           y: fractionScale.map) { _, i, v in "layer \(layers[i].layer): prunedBlockFraction \(NumberFormat.value(v))" }
        canvas.categoryAxis(area: bottom, labels: labels, title: "layer", rotate: false)

        var caption = "Per-layer divergence of run \(sweep.run.shortID) at \(point.name), \(note). "
        caption += "Top: attentionKL per layer (mean over heads and queries, nats; overall \(NumberFormat.value(point.attentionKL))). "
        caption += "Bottom: the share of causally visible blocks pruned in that layer (overall \(NumberFormat.value(point.prunedBlockFraction)))."
        return Figure(name: "layers-\(sweep.run.shortID).svg", title: "Per-layer divergence, \(point.name)",
                      caption: caption, canvas: canvas)
    }
}
