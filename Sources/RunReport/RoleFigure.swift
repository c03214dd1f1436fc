import AttnProtocol

/// Figure 5: for a profile run with head roles (Protocol/README.md §11), a (layers × heads)
/// map of each head's `role` in categorical colours with a legend; a dot marks streaming heads.
enum RoleFigure {
    /// The colour of each role (Okabe–Ito, distinguishable with the common colour-vision
    /// deficiencies); `diffuse` grey.
    static func color(_ role: HeadRoleName) -> String {
        switch role {
        case .induction: return "#D55E00"
        case .duplicateToken: return "#CC79A7"
        case .previousToken: return "#0072B2"
        case .sink: return "#E69F00"
        case .local: return "#56B4E9"
        case .diffuse: return "#9a9a9a"
        }
    }

    /// Nil when no head of the run has a role (runs stored before head roles).
    static func make(_ profile: ProfileResult) -> Figure? {
        let layers = profile.heads.count, heads = profile.numHeads
        guard layers > 0, heads > 0, profile.heads.contains(where: { $0.contains { $0.role != nil } }) else { return nil }
        let cell = min(max(260 / Double(max(layers, heads)), 10), 30)
        let area = PlotArea(x: 56, y: 34, width: Double(heads) * cell, height: Double(layers) * cell)
        let legendWidth = max(area.width + 56, 420)
        let entries = HeadRoleName.allCases.map { role in
            LegendEntry(label: role.rawValue, shape: .square, color: color(role), hollow: false, dash: nil, showLine: false)
        }
        let legendHeight = SVGCanvas.legendHeight(entries, maxWidth: legendWidth)
        var canvas = SVGCanvas(width: max(area.right + 20, legendWidth + 20), height: area.bottom + 48 + legendHeight + 22)
        canvas.addRaw("<g class=\"heatmap roles\" data-metric=\"role\">")
        for (r, row) in profile.heads.enumerated() {
            for (h, head) in row.enumerated() {
                let x = area.x + Double(h) * cell, y = area.y + Double(r) * cell
                let where_ = "layer \(profile.layerIndices[r]), head \(head.head)"
                guard let role = head.role else {
                    canvas.rect(x: x, y: y, width: cell + 0.02, height: cell + 0.02, fill: ColorScale.missing,
                                cssClass: "cell missing", tooltip: "\(where_): no role in this run", crisp: true)
                    continue
                }
                let streaming = head.streamingHead == true
                canvas.addRaw("<g class=\"role-cell\" data-role=\"\(role.rawValue)\"\(streaming ? " data-streaming=\"true\"" : "")>")
                canvas.rect(x: x, y: y, width: cell + 0.02, height: cell + 0.02, fill: color(role), cssClass: "cell",
                            tooltip: "\(where_): \(role.rawValue)\(streaming ? ", streaming head" : "")" + scores(head), crisp: true)
                if streaming {
                    canvas.text("•", x: x + cell / 2, y: y + cell / 2 + 4, size: 12, anchor: .middle,
                                fill: ColorScale.textColor(on: color(role)), cssClass: "streaming-mark")
                }
                canvas.addRaw("</g>")
            }
        }
        for (r, layer) in profile.layerIndices.enumerated() {
            canvas.text(String(layer), x: area.x - 5, y: area.y + (Double(r) + 0.5) * cell + 3.5, size: 9.5, anchor: .end,
                        fill: "#333333", cssClass: "row-label")
        }
        for h in thinnedColumns(count: heads, width: area.width, minSpacing: 12) {
            canvas.text(String(h), x: area.x + (Double(h) + 0.5) * cell, y: area.bottom + 12, size: 9, anchor: .middle,
                        fill: "#222222", cssClass: "column-label")
        }
        canvas.text("layer", x: area.x - 34, y: area.y + area.height / 2, size: 11.5, anchor: .middle, rotate: -90, cssClass: "axis-label y")
        canvas.text("head", x: area.x + area.width / 2, y: area.bottom + 28, size: 11, anchor: .middle, cssClass: "axis-label x")
        canvas.text("head role", x: area.x + area.width / 2, y: area.y - 8, size: 11.5, anchor: .middle, cssClass: "axis-label x")
        canvas.addRaw("</g>")
        canvas.addRaw("<g class=\"legend\">")
        canvas.legend(entries, x: 20, y: area.bottom + 40, maxWidth: legendWidth)
        canvas.text("• streaming head", x: 20, y: area.bottom + 40 + legendHeight + 14, size: 10.5, cssClass: "legend-streaming")
        canvas.addRaw("</g>")

        let caption = "Head roles of run \(profile.run.shortID), one cell per (layer, head): the largest of inductionScore, "
            + "duplicateTokenScore, previousTokenScore and sinkScore that reaches the run's roleThreshold, else local "
            + "(localScore reaches it), else diffuse (Protocol/README.md §11). A dot marks a streaming head: its sink + "
            + "local window keep at least streamingMinMass of the rows' mass."
        return Figure(name: "roles-\(profile.run.shortID).svg", title: "Head roles", caption: caption, canvas: canvas)
    }

    /// The scores after the role in a cell's tooltip.
    private static func scores(_ h: ProfileHead) -> String {
        let named: [(String, Double?)] = [("induction", h.inductionScore), ("duplicate", h.duplicateTokenScore),
                                          ("previous", h.previousTokenScore), ("sink", h.sinkScore), ("local", h.localScore),
                                          ("streaming mass", h.streamingMass)]
        let parts = named.compactMap { name, v in v.map { "\(name) \(NumberFormat.value($0))" } }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }
}
