import AttnProtocol

/// Figure 3: per-position divergence as a (layers × positions) heatmap with the token text
/// under the x axis (thinned when T is large).
enum PerPositionFigure {
    /// Cells above this count get no hover tooltip, to keep the file small.
    static let tooltipCellLimit = 6000

    static func make(_ run: PerPositionResult) -> Figure? {
        let rows = run.values.count, columns = run.numPositions
        guard rows > 0, columns > 0 else { return nil }
        let plotWidth = min(max(Double(columns) * 16, 360), 1000)
        let cellHeight = min(max(260 / Double(rows), 9), 22)
        let margin = (left: 62.0, top: 30.0, bottom: 96.0, right: 20.0 + SVGCanvas.colorBarWidth)
        let area = PlotArea(x: margin.left, y: margin.top, width: plotWidth, height: Double(rows) * cellHeight)
        var canvas = SVGCanvas(width: margin.left + plotWidth + margin.right, height: margin.top + area.height + margin.bottom)

        // Token labels are rotated: about 22 px each keeps them legible (654 positions: 33 labels, every 20th).
        let labelled = thinnedColumns(count: columns, width: plotWidth, minSpacing: 22, roundStep: true)
        let thinned = labelled.count < columns
        let tokens = run.tokenTexts
        func label(_ t: Int) -> String {
            guard let tokens, t < tokens.count else { return String(t) }
            let piece = XMLText.tokenLabel(tokens[t])
            return thinned ? "\(t) \(piece)" : piece
        }
        let present = run.values.flatMap { $0.compactMap { $0 } }
        let hi = LinearScale.niceDomain(lo: 0, hi: max(present.max() ?? 0, 1e-12), count: 4).hi
        let unit = run.unit
        let tooltip: ((Int, Int, Double?) -> String)? = rows * columns > tooltipCellLimit ? nil : { r, c, v in
            let token = tokens.flatMap { c < $0.count ? " \(XMLText.tokenLabel($0[c], maxLength: 40))" : nil } ?? ""
            return "layer \(run.layerIndices[r]), position \(c)\(token): \(v.map(NumberFormat.value) ?? "missing") \(unit)"
        }
        let spec = HeatmapSpec(values: run.values, range: (0, hi), rowLabels: run.layerIndices.map(String.init),
                               columnLabels: labelled.map { ($0, label($0)) }, rowTitle: "layer",
                               columnTitle: "query position (token)", colorBarTitle: "\(run.metric.rawValue) (\(unit))", tooltip: tooltip)
        canvas.heatmap(area: area, spec: spec)
        canvas.colorBar(x: area.right + 14, y: area.y, height: max(area.height, 120), range: spec.range,
                        title: spec.colorBarTitle)

        var caption = "Per-position \(run.metric.rawValue) for run \(run.run.shortID)"
        let settings = ["threshold", "blockSize"].compactMap { key in
            run.run.params[key]?.doubleValue.map { "\(key) \(NumberFormat.value($0))" }
        }
        if !settings.isEmpty { caption += " (\(settings.joined(separator: ", ")))" }
        caption += ": one row per layer, one column per query position; each cell is the mean over heads (\(unit)), colour scale from 0 to \(NumberFormat.value(hi))."
        if tokens == nil {
            caption += " Positions are labelled by index: their tokens' text needs the run's model loaded in the daemon that renders the report."
        } else {
            caption += thinned ? " Every \(labelled.count > 1 ? labelled[1] : columns)th position is labelled (index and token)" : " Tokens under the axis"
            caption += "; spaces are shown as ␣, newlines as ↵."
        }
        let missing = rows * columns - present.count
        if missing > 0 { caption += " \(missing) grey cell\(missing == 1 ? " has" : "s have") no value." }
        return Figure(name: "per-position-\(run.run.shortID).svg", title: "Per-position \(run.metric.rawValue)", caption: caption, canvas: canvas)
    }
}
