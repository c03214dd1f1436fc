/// One legend entry: a marker (and optionally a line sample) with a label.
struct LegendEntry {
    var label: String
    var shape: MarkerShape
    var color: String
    var hollow: Bool
    /// Stroke-dasharray of a line sample drawn behind the marker; `nil` for a solid line,
    /// no sample when `showLine` is false.
    var dash: String?
    var showLine: Bool
}

extension SVGCanvas {
    /// Lays entries left to right from (x, y), wrapping at `maxWidth`; returns the height used.
    /// Each entry is a `<g class="legend-entry">`.
    @discardableResult
    mutating func legend(_ entries: [LegendEntry], x: Double, y: Double, maxWidth: Double) -> Double {
        let rowHeight = 18.0
        var cx = x, cy = y + 9
        for entry in entries {
            let width = 34 + Double(entry.label.count) * 6.3 + 14
            if cx + width > x + maxWidth, cx > x { cx = x; cy += rowHeight }
            addRaw("<g class=\"legend-entry\">")
            if entry.showLine {
                line(x1: cx, y1: cy, x2: cx + 26, y2: cy, stroke: entry.color, width: 1.5, dash: entry.dash)
            }
            marker(entry.shape, x: cx + 13, y: cy, color: entry.color, hollow: entry.hollow, cssClass: "legend-marker")
            text(entry.label, x: cx + 32, y: cy + 4, size: 10.5)
            addRaw("</g>")
            cx += width
        }
        return cy + rowHeight / 2 - y
    }

    /// Height `legend` would use for `entries` (same layout rule).
    static func legendHeight(_ entries: [LegendEntry], maxWidth: Double) -> Double {
        var canvas = SVGCanvas(width: maxWidth, height: 0)
        return canvas.legend(entries, x: 0, y: 0, maxWidth: maxWidth)
    }
}
