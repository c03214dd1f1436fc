/// One series of a grouped bar chart: one value per category.
struct BarSeries {
    var label: String
    var values: [Double?]
    var fill: String
    /// Class of each bar (`bar honest`, `bar notebook`, ...), for tests and styling.
    var cssClass: String
}

extension SVGCanvas {
    /// Bars for `series` side by side in each of `categories` bands across `area`, each bar
    /// rising from the bottom edge to `y(value)`. Missing values draw no bar.
    mutating func groupedBars(area: PlotArea, categories: [String], series: [BarSeries], y: (Double) -> Double,
                              tooltip: (BarSeries, Int, Double) -> String) {
        guard !categories.isEmpty, !series.isEmpty else { return }
        let band = area.width / Double(categories.count)
        let barWidth = band * 0.78 / Double(series.count)
        for c in categories.indices {
            for (s, bars) in series.enumerated() {
                guard c < bars.values.count, let v = bars.values[c] else { continue }
                let top = min(y(v), area.bottom)
                let x = area.x + Double(c) * band + band * 0.11 + Double(s) * barWidth
                rect(x: x, y: top, width: barWidth, height: area.bottom - top, fill: bars.fill, stroke: "#222222",
                     cssClass: bars.cssClass, tooltip: tooltip(bars, c, v))
            }
        }
    }

    /// Category labels under the bands of `area` (thinned to fit), rotated when `rotate`.
    mutating func categoryAxis(area: PlotArea, labels: [String], title: String, rotate: Bool) {
        let band = area.width / Double(max(labels.count, 1))
        // Rotated labels need about 24 px each to stay legible; the rest are left out (thinned).
        let shown = thinnedColumns(count: labels.count, width: area.width, minSpacing: rotate ? 24 : 22)
        for i in shown {
            let x = area.x + (Double(i) + 0.5) * band
            if rotate {
                text(labels[i], x: x + 3, y: area.bottom + 10, size: 9, anchor: .end, rotate: -40, fill: "#333333",
                     cssClass: "tick-label x")
            } else {
                text(labels[i], x: x, y: area.bottom + 14, size: 9.5, anchor: .middle, fill: "#333333", cssClass: "tick-label x")
            }
        }
        line(x1: area.x, y1: area.bottom, x2: area.right, y2: area.bottom, stroke: "#333333", cssClass: "axis x")
        text(title, x: area.x + area.width / 2, y: area.bottom + (rotate ? 78 : 32), size: 11.5, anchor: .middle,
             cssClass: "axis-label x")
    }
}
