import Foundation

/// A grid of values to draw as coloured cells.
struct HeatmapSpec {
    /// (R, C): `nil` cells are drawn grey.
    var values: [[Double?]]
    /// The values mapped to the two ends of the colour scale (clamped outside).
    var range: (lo: Double, hi: Double)
    /// One label per row (drawn thinned when rows are dense).
    var rowLabels: [String]
    /// Labels under chosen columns (already thinned by the caller), drawn rotated.
    var columnLabels: [(column: Int, text: String)]
    var rowTitle: String
    var columnTitle: String
    var colorBarTitle: String
    /// Hover text per cell (row, column, value); `nil` to leave cells without tooltips.
    var tooltip: ((Int, Int, Double?) -> String)?

    var numRows: Int { values.count }
    var numColumns: Int { values.map(\.count).max() ?? 0 }

    /// t in [0, 1] for `value`.
    func position(_ value: Double) -> Double {
        range.hi > range.lo ? (value - range.lo) / (range.hi - range.lo) : 0.5
    }
}

extension SVGCanvas {
    /// Draws `spec` filling `area`: cells (class `cell`), row labels on the left, rotated
    /// column labels under the grid, axis titles.
    mutating func heatmap(area: PlotArea, spec: HeatmapSpec, columnLabelSize: Double = 9) {
        let rows = spec.numRows, columns = spec.numColumns
        guard rows > 0, columns > 0 else { return }
        let cellW = area.width / Double(columns), cellH = area.height / Double(rows)
        for (r, row) in spec.values.enumerated() {
            for c in 0..<columns {
                let value = c < row.count ? row[c] : nil
                let fill = value.map { ColorScale.viridis(spec.position($0)) } ?? ColorScale.missing
                rect(x: area.x + Double(c) * cellW, y: area.y + Double(r) * cellH, width: cellW + 0.02, height: cellH + 0.02,
                     fill: fill, cssClass: value == nil ? "cell missing" : "cell", tooltip: spec.tooltip?(r, c, value), crisp: true)
            }
        }
        let rowStep = max(1, Int((Double(rows) / max(area.height / 12, 1)).rounded(.up)))
        for r in stride(from: 0, to: rows, by: rowStep) where r < spec.rowLabels.count {
            text(spec.rowLabels[r], x: area.x - 5, y: area.y + (Double(r) + 0.5) * cellH + 3.5, size: 9.5, anchor: .end,
                 fill: "#333333", cssClass: "row-label")
        }
        for label in spec.columnLabels where label.column < columns {
            let x = area.x + (Double(label.column) + 0.5) * cellW
            line(x1: x, y1: area.bottom, x2: x, y2: area.bottom + 3, stroke: "#333333", cssClass: "tick")
            text(label.text, x: x + 3, y: area.bottom + 7, size: columnLabelSize, anchor: .end, rotate: -60,
                 fill: "#222222", cssClass: "column-label")
        }
        text(spec.rowTitle, x: area.x - 34, y: area.y + area.height / 2, size: 11.5, anchor: .middle, rotate: -90,
             cssClass: "axis-label y")
        text(spec.columnTitle, x: area.x + area.width / 2, y: area.y - 8, size: 11.5, anchor: .middle, cssClass: "axis-label x")
    }

    /// A vertical colour bar at (x, y) of `height` pixels for `range`, ticks on its right,
    /// the title (with unit) rotated beside them. Drawn from rectangles (no gradient ids, so
    /// several figures can share one HTML page).
    mutating func colorBar(x: Double, y: Double, height: Double, range: (lo: Double, hi: Double), title: String) {
        let steps = 48, width = 14.0
        let stepH = height / Double(steps)
        for i in 0..<steps {
            let t = (Double(i) + 0.5) / Double(steps)
            rect(x: x, y: y + height - Double(i + 1) * stepH, width: width, height: stepH + 0.3,
                 fill: ColorScale.viridis(t), cssClass: "colorbar-step", crisp: true)
        }
        add("rect", [("class", "colorbar"), ("x", NumberFormat.coordinate(x)), ("y", NumberFormat.coordinate(y)),
                     ("width", NumberFormat.coordinate(width)), ("height", NumberFormat.coordinate(height)),
                     ("fill", "none"), ("stroke", "#333333"), ("stroke-width", "0.8")])
        let scale = LinearScale(domain: (range.lo, range.hi), range: (y + height, y))
        let step = scale.tickStep(count: 4)
        for v in scale.ticks(count: 4) {
            let ty = scale.map(v)
            line(x1: x + width, y1: ty, x2: x + width + 4, y2: ty, stroke: "#333333", cssClass: "tick")
            text(NumberFormat.tick(v, step: step), x: x + width + 6, y: ty + 3.5, size: 9.5, fill: "#333333",
                 cssClass: "tick-label colorbar")
        }
        text(title, x: x + width + 44, y: y + height / 2, size: 11, anchor: .middle, rotate: -90, cssClass: "axis-label colorbar")
    }

    /// Canvas width a colour bar with its ticks and title takes.
    static let colorBarWidth = 70.0
}

/// Columns to label so that labels stay at least `minSpacing` pixels apart: every k-th,
/// starting at 0. Returns all columns when they fit.
/// - Parameter roundStep: round the step up to 1, 2 or 5 × 10^k, so labelled positions read
///   0, 20, 40, … rather than 0, 15, 30, ….
func thinnedColumns(count: Int, width: Double, minSpacing: Double = 11, roundStep: Bool = false) -> [Int] {
    guard count > 0 else { return [] }
    let fits = max(1, Int(width / minSpacing))
    var step = max(1, Int((Double(count) / Double(fits)).rounded(.up)))
    if roundStep, step > 1 {
        var decade = 1
        while decade * 10 <= step { decade *= 10 }
        step = [1, 2, 5, 10].map { $0 * decade }.first { $0 >= step } ?? step
    }
    return Array(stride(from: 0, to: count, by: step))
}
