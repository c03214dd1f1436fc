import Foundation

/// Colours that survive grey printing and colour-vision deficiencies.
enum ColorScale {
    /// Matplotlib's viridis at 0, 1/9, …, 1 (sRGB). Perceptually uniform, luminance rises
    /// monotonically from dark purple to yellow, so a heatmap reads the same in grey.
    static let viridisStops: [(Double, Double, Double)] = [
        (0x44, 0x01, 0x54), (0x48, 0x28, 0x78), (0x3e, 0x49, 0x89), (0x31, 0x68, 0x8e), (0x26, 0x82, 0x8e),
        (0x1f, 0x9e, 0x89), (0x35, 0xb7, 0x79), (0x6e, 0xce, 0x58), (0xb5, 0xde, 0x2b), (0xfd, 0xe7, 0x25),
    ].map { (Double($0.0), Double($0.1), Double($0.2)) }

    /// Sequential colour for `t` in [0, 1] (clamped), as `#rrggbb`.
    static func viridis(_ t: Double) -> String {
        let x = min(max(t.isFinite ? t : 0, 0), 1) * Double(viridisStops.count - 1)
        let i = min(Int(x), viridisStops.count - 2)
        let f = x - Double(i)
        let a = viridisStops[i], b = viridisStops[i + 1]
        return hex(a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f)
    }

    /// Fill for a heatmap cell with no value.
    static let missing = "#d9d9d9"

    /// Okabe–Ito categorical colours (distinguishable under the common colour-vision
    /// deficiencies), yellow left out for contrast on white. Always paired with a marker
    /// shape, so grey print still tells series apart.
    static let categorical = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9"]

    static func categorical(_ index: Int) -> String { categorical[index % categorical.count] }

    static func hex(_ r: Double, _ g: Double, _ b: Double) -> String {
        func byte(_ v: Double) -> String {
            let n = Int(min(max(v.rounded(), 0), 255))
            return String(format: "%02x", n)
        }
        return "#" + byte(r) + byte(g) + byte(b)
    }

    /// WCAG relative luminance of `#rrggbb` in [0, 1]; `nil` for other strings.
    static func luminance(_ hex: String) -> Double? {
        guard hex.count == 7, hex.hasPrefix("#"), let v = Int(hex.dropFirst(), radix: 16) else { return nil }
        func linear(_ c: Int) -> Double {
            let s = Double(c) / 255
            return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear((v >> 16) & 0xff) + 0.7152 * linear((v >> 8) & 0xff) + 0.0722 * linear(v & 0xff)
    }

    /// Black or white, whichever reads on `background`.
    static func textColor(on background: String) -> String {
        (luminance(background) ?? 1) > 0.3 ? "#000000" : "#ffffff"
    }
}

/// Marker shapes for scatter series, drawn centred on (0, 0) and placed with a translate.
enum MarkerShape: Int, CaseIterable {
    case circle, square, triangleUp, diamond, triangleDown, plus

    static func forIndex(_ i: Int) -> MarkerShape { allCases[i % allCases.count] }

    var name: String {
        switch self {
        case .circle: return "circle"
        case .square: return "square"
        case .triangleUp: return "triangle-up"
        case .diamond: return "diamond"
        case .triangleDown: return "triangle-down"
        case .plus: return "plus"
        }
    }

    /// SVG path data for a marker of radius `r` (pixels).
    func path(radius r: Double) -> String {
        func c(_ v: Double) -> String { NumberFormat.coordinate(v) }
        switch self {
        case .circle:
            return "M\(c(-r)),0a\(c(r)),\(c(r)) 0 1,0 \(c(2 * r)),0a\(c(r)),\(c(r)) 0 1,0 \(c(-2 * r)),0Z"
        case .square:
            let s = r * 0.9
            return "M\(c(-s)),\(c(-s))H\(c(s))V\(c(s))H\(c(-s))Z"
        case .triangleUp:
            return "M0,\(c(-1.2 * r))L\(c(1.1 * r)),\(c(0.8 * r))L\(c(-1.1 * r)),\(c(0.8 * r))Z"
        case .diamond:
            return "M0,\(c(-1.25 * r))L\(c(1.25 * r)),0L0,\(c(1.25 * r))L\(c(-1.25 * r)),0Z"
        case .triangleDown:
            return "M0,\(c(1.2 * r))L\(c(1.1 * r)),\(c(-0.8 * r))L\(c(-1.1 * r)),\(c(-0.8 * r))Z"
        case .plus:
            let a = r * 0.4, b = r * 1.2
            return "M\(c(-a)),\(c(-b))H\(c(a))V\(c(-a))H\(c(b))V\(c(a))H\(c(a))V\(c(b))H\(c(-a))V\(c(a))H\(c(-b))V\(c(-a))H\(c(-a))Z"
        }
    }
}

extension SVGCanvas {
    /// A marker at (x, y). Filled markers get `fill = color`; hollow ones white fill with a
    /// coloured outline. `cssClass` lets tests and stylesheets find them.
    mutating func marker(_ shape: MarkerShape, x: Double, y: Double, color: String, hollow: Bool,
                         radius: Double = 4.5, cssClass: String, tooltip: String? = nil) {
        let attributes: Attributes = [
            ("class", cssClass), ("data-shape", shape.name),
            ("transform", "translate(\(NumberFormat.coordinate(x)),\(NumberFormat.coordinate(y)))"),
            ("d", shape.path(radius: radius)), ("fill", hollow ? "#ffffff" : color),
            ("stroke", hollow ? color : "#ffffff"), ("stroke-width", hollow ? "1.6" : "0.8"),
        ]
        addRaw(Self.element("path", attributes, tooltip: tooltip))
    }
}
