import AttnProtocol

/// Figure 4: for a profile run, (layers × heads) heatmaps of sink mass, entropy and block
/// sparsity at one threshold, side by side.
enum ProfileFigure {
    /// The block threshold to show: `requested` when the run has it, else the first one; the
    /// note says which.
    static func chooseThreshold(_ profile: ProfileResult, requested: Double?) -> (Double, note: String)? {
        let available = profile.thresholds
        if let requested, available.contains(where: { abs($0 - requested) <= 1e-9 * max(abs(requested), 1e-300) }) {
            return (requested, "")
        }
        guard let first = available.first else { return nil }
        if let requested {
            return (first, " (threshold \(NumberFormat.value(requested)) is not in this run; available: \(available.map(NumberFormat.value).joined(separator: ", ")))")
        }
        return (first, "")
    }

    static func make(_ profile: ProfileResult, threshold requested: Double?) -> Figure? {
        let layers = profile.heads.count, heads = profile.numHeads
        guard layers > 0, heads > 0 else { return nil }
        let threshold = chooseThreshold(profile, requested: requested)
        func grid(_ value: (ProfileHead) -> Double?) -> [[Double?]] {
            profile.heads.map { row in (0..<heads).map { h in h < row.count ? value(row[h]) : nil } }
        }
        var panels: [(title: String, unit: String, values: [[Double?]])] = [
            ("sinkMass", "fraction", grid { $0.sinkMass }),
            ("entropy", "nats", grid { $0.entropy }),
        ]
        if let (t, _) = threshold {
            panels.append(("block sparsity at \(NumberFormat.value(t))", "fraction", grid { $0.blockFraction(threshold: t) }))
        }

        let cell = min(max(220 / Double(max(layers, heads)), 9), 26)
        let plot = (width: Double(heads) * cell, height: Double(layers) * cell)
        let panelWidth = 56 + plot.width + 16 + SVGCanvas.colorBarWidth + 10
        var canvas = SVGCanvas(width: Double(panels.count) * panelWidth, height: 34 + plot.height + 52)
        for (i, panel) in panels.enumerated() {
            let area = PlotArea(x: Double(i) * panelWidth + 56, y: 34, width: plot.width, height: plot.height)
            let present = panel.values.flatMap { $0.compactMap { $0 } }
            let hi = panel.unit == "fraction" ? 1 : LinearScale.niceDomain(lo: 0, hi: max(present.max() ?? 0, 1e-9), count: 4).hi
            let spec = HeatmapSpec(
                values: panel.values, range: (0, hi), rowLabels: profile.layerIndices.map(String.init),
                columnLabels: thinnedColumns(count: heads, width: plot.width, minSpacing: 12).map { ($0, String($0)) },
                rowTitle: "layer", columnTitle: panel.title, colorBarTitle: "\(panel.title) (\(panel.unit))",
                tooltip: { r, h, v in "layer \(profile.layerIndices[r]), head \(h): \(panel.title) \(v.map(NumberFormat.value) ?? "missing") \(panel.unit)" })
            canvas.addRaw("<g class=\"heatmap\" data-metric=\"\(panel.title.split(separator: " ").first ?? "")\">")
            canvas.heatmap(area: area, spec: spec)
            canvas.text("head", x: area.x + area.width / 2, y: area.bottom + 40, size: 11, anchor: .middle, cssClass: "axis-label x")
            canvas.colorBar(x: area.right + 12, y: area.y, height: max(area.height, 100), range: spec.range,
                            title: panel.unit)
            canvas.addRaw("</g>")
        }

        var caption = "Attention profile of run \(profile.run.shortID), one cell per (layer, head). "
        caption += "sinkMass: mean weight on key 0 (fraction); entropy: mean row entropy (nats); "
        if let (t, note) = threshold {
            caption += "block sparsity: share of causally visible (query, block) pairs whose block max is below \(NumberFormat.value(t))\(note)."
        } else {
            caption += "no block sparsity panel: the run has no blocks[] entries."
        }
        return Figure(name: "profile-\(profile.run.shortID).svg", title: "Per-head attention profile", caption: caption, canvas: canvas)
    }
}
