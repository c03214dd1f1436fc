/// An SVG drawing built as text. Coordinates are SVG user units (CSS pixels), y down.
/// Every attribute value and text node is escaped here; callers pass plain strings.
/// Presentation is in attributes (not a stylesheet), so a figure looks the same inline in
/// the HTML report and as a standalone `.svg` file.
struct SVGCanvas {
    var width: Double
    var height: Double
    private(set) var body: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    typealias Attributes = [(String, String)]

    /// `<name a="v" ...>text</name>`, or self-closing without text.
    static func element(_ name: String, _ attributes: Attributes, text: String? = nil) -> String {
        var s = "<" + name
        for (key, value) in attributes { s += " \(key)=\"\(XMLText.escape(value))\"" }
        guard let text else { return s + "/>" }
        return s + ">" + XMLText.escape(text) + "</\(name)>"
    }

    /// `<name a="v" ...><title>tooltip</title></name>`: a hover tooltip in browsers.
    static func element(_ name: String, _ attributes: Attributes, tooltip: String?) -> String {
        guard let tooltip else { return element(name, attributes) }
        return element(name, attributes).dropLast(2) + ">" + element("title", [], text: tooltip) + "</\(name)>"
    }

    mutating func add(_ name: String, _ attributes: Attributes, text: String? = nil) {
        body.append(Self.element(name, attributes, text: text))
    }

    /// Appends markup that is already escaped (built with `element`).
    mutating func addRaw(_ markup: String) { body.append(markup) }

    /// `crisp` turns off anti-aliasing of the edges, so adjacent cells show no hairline seams.
    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                       stroke: String? = nil, cssClass: String? = nil, tooltip: String? = nil, crisp: Bool = false) {
        var a: Attributes = []
        if let cssClass { a.append(("class", cssClass)) }
        a += [("x", c(x)), ("y", c(y)), ("width", c(max(width, 0))), ("height", c(max(height, 0))), ("fill", fill)]
        if crisp { a.append(("shape-rendering", "crispEdges")) }
        if let stroke { a += [("stroke", stroke), ("stroke-width", "1")] }
        body.append(Self.element("rect", a, tooltip: tooltip))
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String = "#000",
                       width: Double = 1, dash: String? = nil, cssClass: String? = nil) {
        var a: Attributes = []
        if let cssClass { a.append(("class", cssClass)) }
        a += [("x1", c(x1)), ("y1", c(y1)), ("x2", c(x2)), ("y2", c(y2)), ("stroke", stroke), ("stroke-width", c(width))]
        if let dash { a.append(("stroke-dasharray", dash)) }
        add("line", a)
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5,
                           dash: String? = nil, cssClass: String? = nil) {
        guard points.count > 1 else { return }
        var a: Attributes = []
        if let cssClass { a.append(("class", cssClass)) }
        a += [("points", points.map { "\(c($0.0)),\(c($0.1))" }.joined(separator: " ")),
              ("fill", "none"), ("stroke", stroke), ("stroke-width", c(width))]
        if let dash { a.append(("stroke-dasharray", dash)) }
        add("polyline", a)
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ string: String, x: Double, y: Double, size: Double = 11, anchor: Anchor = .start,
                       rotate: Double? = nil, weight: String? = nil, fill: String = "#222", cssClass: String? = nil) {
        var a: Attributes = []
        if let cssClass { a.append(("class", cssClass)) }
        a += [("x", c(x)), ("y", c(y)), ("font-size", c(size)), ("fill", fill)]
        if anchor != .start { a.append(("text-anchor", anchor.rawValue)) }
        if let weight { a.append(("font-weight", weight)) }
        if let rotate { a.append(("transform", "rotate(\(c(rotate)) \(c(x)) \(c(y)))")) }
        add("text", a, text: string)
    }

    /// The figure as a standalone SVG document (with the SVG namespace) or as markup to
    /// inline in HTML (the HTML parser supplies the namespace). `title` and `description`
    /// become `<title>`/`<desc>` for screen readers and file browsers.
    func render(standalone: Bool, title: String, description: String) -> String {
        var head = "<svg"
        if standalone { head += " xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"" }
        head += " width=\"\(c(width))\" height=\"\(c(height))\" viewBox=\"0 0 \(c(width)) \(c(height))\""
        head += " font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" role=\"img\">"
        var parts = [standalone ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + head : head]
        parts.append(Self.element("title", [], text: title))
        parts.append(Self.element("desc", [], text: description))
        parts.append(Self.element("rect", [("x", "0"), ("y", "0"), ("width", c(width)), ("height", c(height)), ("fill", "#ffffff")]))
        parts += body
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    private func c(_ v: Double) -> String { NumberFormat.coordinate(v) }
}

/// One figure of the report: a drawing plus the words that go with it.
struct Figure {
    /// File name for `--format svg` (`sweep-divergence.svg`, `per-position-1a2b3c4d.svg`).
    var name: String
    var title: String
    /// One or more sentences: what is plotted, units, any clamping or fallback.
    var caption: String
    var canvas: SVGCanvas

    func svg(standalone: Bool) -> String {
        canvas.render(standalone: standalone, title: title, description: caption)
    }
}
