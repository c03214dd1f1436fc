/// A tick's label: plain text, or a power of ten drawn as 10 with a raised exponent.
enum TickLabel {
    case text(String)
    case powerOfTen(Int)
}

extension SVGCanvas {
    private static let gridColor = "#e3e3e3"
    private static let axisColor = "#333333"

    /// The y axis on the left edge of `area`: tick marks, labels, light grid lines across the
    /// plot, and the rotated axis title (which should carry the unit).
    mutating func leftAxis(area: PlotArea, ticks: [(y: Double, label: TickLabel)], title: String, grid: Bool = true) {
        for tick in ticks {
            if grid { line(x1: area.x, y1: tick.y, x2: area.right, y2: tick.y, stroke: Self.gridColor, cssClass: "grid") }
            line(x1: area.x - 4, y1: tick.y, x2: area.x, y2: tick.y, stroke: Self.axisColor, cssClass: "tick")
            tickLabel(tick.label, x: area.x - 6, y: tick.y + 3.5, anchor: .end, axis: "y")
        }
        line(x1: area.x, y1: area.y, x2: area.x, y2: area.bottom, stroke: Self.axisColor, cssClass: "axis y")
        text(title, x: area.x - 48, y: area.y + area.height / 2, size: 11.5, anchor: .middle, rotate: -90,
             cssClass: "axis-label y")
    }

    /// The x axis on the bottom edge of `area`; `title` (with unit) under the tick labels.
    mutating func bottomAxis(area: PlotArea, ticks: [(x: Double, label: TickLabel)], title: String?, grid: Bool = true) {
        for tick in ticks {
            if grid { line(x1: tick.x, y1: area.y, x2: tick.x, y2: area.bottom, stroke: Self.gridColor, cssClass: "grid") }
            line(x1: tick.x, y1: area.bottom, x2: tick.x, y2: area.bottom + 4, stroke: Self.axisColor, cssClass: "tick")
            tickLabel(tick.label, x: tick.x, y: area.bottom + 16, anchor: .middle, axis: "x")
        }
        line(x1: area.x, y1: area.bottom, x2: area.right, y2: area.bottom, stroke: Self.axisColor, cssClass: "axis x")
        if let title {
            text(title, x: area.x + area.width / 2, y: area.bottom + 34, size: 11.5, anchor: .middle, cssClass: "axis-label x")
        }
    }

    mutating func leftAxis(area: PlotArea, scale: LinearScale, title: String, format: (Double, Double) -> String = NumberFormat.tick) {
        let step = scale.tickStep()
        leftAxis(area: area, ticks: scale.ticks().map { (scale.map($0), .text(format($0, step))) }, title: title)
    }

    mutating func leftAxis(area: PlotArea, scale: LogScale, title: String) {
        leftAxis(area: area, ticks: scale.tickExponents.map { (scale.map(pow10($0)), .powerOfTen($0)) }, title: title)
    }

    mutating func bottomAxis(area: PlotArea, scale: LinearScale, title: String) {
        let step = scale.tickStep()
        bottomAxis(area: area, ticks: scale.ticks().map { (scale.map($0), .text(NumberFormat.tick($0, step: step))) }, title: title)
    }

    private mutating func tickLabel(_ label: TickLabel, x: Double, y: Double, anchor: Anchor, axis: String) {
        switch label {
        case .text(let s):
            text(s, x: x, y: y, size: 10, anchor: anchor, fill: "#333333", cssClass: "tick-label \(axis)")
        case .powerOfTen(let e):
            let exponent = e < 0 ? "−\(-e)" : "\(e)"
            let attributes: Attributes = [
                ("class", "tick-label \(axis) log"), ("x", NumberFormat.coordinate(x)), ("y", NumberFormat.coordinate(y)),
                ("font-size", "10"), ("fill", "#333333"), ("text-anchor", anchor.rawValue),
            ]
            let open = Self.element("text", attributes).dropLast(2) + ">"
            addRaw(open + "10" + Self.element("tspan", [("dy", "-5"), ("font-size", "7.5")], text: exponent) + "</text>")
        }
    }
}

func pow10(_ e: Int) -> Double { Double("1e\(e)") ?? 0 }
