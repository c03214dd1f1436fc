import AttnProtocol
import Foundation
import JSONRPC

/// An `evaluateCorpus` run as the report reads it: dense perplexity and, per setting, perplexity,
/// ΔNLL with its interval and the computed fraction `1 − prunedBlockFraction` (nil for runs
/// stored before the field existed: those settings are listed, not placed on the x axis).
struct CorpusResult {
    struct Setting {
        var label: String
        var perplexity: Double
        var deltaNLL: Double
        var lower: Double?
        var upper: Double?
        var outputKL: Double
        var top1Agreement: Double
        var computedFraction: Double?
    }

    var run: StoredRun
    var densePerplexity: Double
    var windows: Int
    var tokensScored: Int
    var maxLength: Int
    var stride: Int
    var settings: [Setting]

    /// nil when the run is not an `evaluateCorpus` run or has no result.
    /// - Throws: `DecodingError` when the result lacks a field every corpus result has.
    init?(run: StoredRun) throws {
        guard run.method == "evaluateCorpus", let result = run.result else { return nil }
        self.run = run
        func need<T>(_ value: T?, _ path: String) throws -> T {
            guard let value else {
                throw DecodingError.keyNotFound(AnyKey(path), .init(codingPath: [], debugDescription: "\(path) is missing or not a number"))
            }
            return value
        }
        densePerplexity = try need(result["dense"]?["perplexity"]?.doubleValue, "dense.perplexity")
        windows = try need(result["windows"]?.intValue, "windows")
        tokensScored = try need(result["tokensScored"]?.intValue, "tokensScored")
        maxLength = try need(result["maxLength"]?.intValue, "maxLength")
        stride = try need(result["stride"]?.intValue, "stride")
        settings = try (result["settings"]?.arrayValue ?? []).enumerated().map { i, s in
            Setting(label: CorpusResult.label(s["setting"]),
                    perplexity: try need(s["perplexity"]?.doubleValue, "settings[\(i)].perplexity"),
                    deltaNLL: try need(s["deltaNLL"]?["mean"]?.doubleValue, "settings[\(i)].deltaNLL.mean"),
                    lower: s["deltaNLL"]?["lower"]?.doubleValue, upper: s["deltaNLL"]?["upper"]?.doubleValue,
                    outputKL: try need(s["outputKL"]?.doubleValue, "settings[\(i)].outputKL"),
                    top1Agreement: try need(s["top1Agreement"]?.doubleValue, "settings[\(i)].top1Agreement"),
                    computedFraction: s["prunedBlockFraction"]?.doubleValue.map { 1 - $0 })
        }
    }

    /// `threshold 0.002, B 32, sink` for a resolved setting.
    static func label(_ setting: JSONValue?) -> String {
        let selection = setting?["selection"]?.stringValue ?? "threshold"
        var text = selection
        if let v = setting?["threshold"]?.doubleValue { text += " \(NumberFormat.value(v))" }
        if let b = setting?["blockSize"]?.intValue { text += ", B \(b)" }
        if setting?["keepSink"] == .bool(true) { text += ", sink" }
        if setting?["keepLocal"] == .bool(true) { text += ", local" }
        return text
    }
}

/// A coding key for errors about a path the report reads by hand.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The corpus figure of one `evaluateCorpus` run: perplexity (left) and ΔNLL with its 95%
/// interval over windows (right) against the computed fraction of attention per setting, the
/// dense model at 1. One marker per setting, colour and shape by setting.
enum CorpusFigure {
    static let panelWidth = 340.0
    static let panelHeight = 270.0
    static let margin = (left: 64.0, right: 20.0, top: 26.0, bottom: 48.0)

    static func make(_ corpus: CorpusResult) -> Figure? {
        let placed = corpus.settings.enumerated().filter { $0.element.computedFraction != nil }
        let entries = [LegendEntry(label: "dense", shape: .forIndex(0), color: "#000", hollow: true, dash: nil, showLine: false)]
            + placed.map { i, s in
                LegendEntry(label: s.label, shape: .forIndex(i + 1), color: ColorScale.categorical(i), hollow: false, dash: nil,
                            showLine: false)
            }
        let width = 2 * panelWidth
        let legendHeight = SVGCanvas.legendHeight(entries, maxWidth: width - 20) + 12
        var canvas = SVGCanvas(width: width, height: legendHeight + panelHeight)
        canvas.legend(entries, x: 12, y: 8, maxWidth: width - 20)
        let xs = placed.compactMap(\.element.computedFraction) + [1]
        var xDomain = LinearScale.niceDomain(lo: min(xs.min() ?? 0, 0.9), hi: 1)
        xDomain = (max(0, xDomain.lo), 1)

        for panel in 0..<2 {
            let origin = (x: Double(panel) * panelWidth, y: legendHeight)
            let area = PlotArea(x: origin.x + margin.left, y: origin.y + margin.top, width: panelWidth - margin.left - margin.right,
                                height: panelHeight - margin.top - margin.bottom)
            let x = LinearScale(domain: xDomain, range: (area.x, area.right))
            let metric = panel == 0 ? "perplexity" : "delta-nll"
            canvas.addRaw("<g class=\"panel \(metric)\">")
            canvas.text(panel == 0 ? "perplexity" : "ΔNLL against dense (95% interval over windows)",
                        x: area.x + area.width / 2, y: origin.y + 16, size: 12, anchor: .middle, weight: "bold", cssClass: "panel-title")
            canvas.bottomAxis(area: area, scale: x, title: "computed fraction (1 − prunedBlockFraction)")
            let values: [Double] = panel == 0
                ? [corpus.densePerplexity] + placed.map(\.element.perplexity)
                : [0] + placed.flatMap { [$0.element.deltaNLL, $0.element.lower ?? $0.element.deltaNLL, $0.element.upper ?? $0.element.deltaNLL] }
            var domain = LinearScale.niceDomain(lo: values.min() ?? 0, hi: values.max() ?? 1)
            if domain.hi <= domain.lo { domain = (domain.lo - 1, domain.lo + 1) }
            let y = LinearScale(domain: domain, range: (area.bottom, area.y))
            canvas.leftAxis(area: area, scale: y, title: panel == 0 ? "perplexity (exp of nats per token)" : "ΔNLL (nats per token)")
            let reference = panel == 0 ? corpus.densePerplexity : 0
            canvas.line(x1: area.x, y1: y.map(reference), x2: area.right, y2: y.map(reference), stroke: "#888", dash: "4 3",
                        cssClass: "dense-reference")
            canvas.marker(.forIndex(0), x: x.map(1), y: y.map(reference), color: "#000", hollow: true, cssClass: "marker dense",
                          tooltip: "dense: perplexity \(NumberFormat.value(corpus.densePerplexity))")
            for (i, s) in placed {
                guard let c = s.computedFraction else { continue }
                let color = ColorScale.categorical(i)
                let value = panel == 0 ? s.perplexity : s.deltaNLL
                if panel == 1, let lo = s.lower, let hi = s.upper {
                    canvas.line(x1: x.map(c), y1: y.map(lo), x2: x.map(c), y2: y.map(hi), stroke: color, width: 1.5,
                                cssClass: "interval setting-\(i)")
                }
                var tip = "\(s.label): computed fraction \(NumberFormat.value(c)), perplexity \(NumberFormat.value(s.perplexity)), "
                    + "ΔNLL \(NumberFormat.value(s.deltaNLL))"
                if let lo = s.lower, let hi = s.upper { tip += " [\(NumberFormat.value(lo)), \(NumberFormat.value(hi))]" }
                canvas.marker(.forIndex(i + 1), x: x.map(c), y: y.map(value), color: color, hollow: false,
                              cssClass: "marker \(metric) setting-\(i)", tooltip: tip)
            }
            canvas.addRaw("</g>")
        }
        var caption = "Sliding-window perplexity of the corpus (HuggingFace's recipe; \(corpus.windows) windows of at most "
            + "\(corpus.maxLength) tokens, stride \(corpus.stride), \(corpus.tokensScored) tokens scored), dense (hollow, at 1, "
            + "dashed line) and per pruning setting. x: the computed fraction of attention, 1 − prunedBlockFraction of the setting's "
            + "pruned passes (kept visible key blocks over all rows, layers and heads). Left: perplexity. Right: ΔNLL = pruned − "
            + "dense NLL in nats per token, bars the 95% weighted paired t interval over windows (windows overlap, so it treats "
            + "correlated windows as independent)."
        let unplaced = corpus.settings.count - placed.count
        if unplaced > 0 {
            caption += " \(unplaced) setting\(unplaced == 1 ? " has" : "s have") no prunedBlockFraction (a run stored before it was "
                + "recorded) and \(unplaced == 1 ? "is" : "are") only in the table."
        }
        return Figure(name: "corpus-\(corpus.run.shortID).svg", title: "Corpus perplexity against computed fraction",
                      caption: caption, canvas: canvas)
    }

    /// The per-setting table: setting, computed fraction, perplexity, ΔNLL [interval], output KL, top-1.
    static func table(_ corpus: CorpusResult) -> String {
        let dense = ["dense", "1", NumberFormat.value(corpus.densePerplexity), "0", "0", "1"]
        let rows = [dense] + corpus.settings.map { s in
            [s.label, s.computedFraction.map(NumberFormat.value) ?? "—", NumberFormat.value(s.perplexity),
             NumberFormat.value(s.deltaNLL) + (s.lower.flatMap { lo in s.upper.map { " [\(NumberFormat.value(lo)), \(NumberFormat.value($0))]" } } ?? ""),
             NumberFormat.value(s.outputKL), NumberFormat.value(s.top1Agreement)]
        }
        return HTMLTables.scrolling(HTMLTables.table(["setting", "computed fraction", "perplexity", "ΔNLL (nats) [95%]",
                                                      "output KL (nats)", "top-1 agreement"], rows, cssClass: "corpus-settings"))
    }
}
