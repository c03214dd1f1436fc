import AttnProtocol
import Foundation

/// The tile figure of the block-sparse literature: recall (top row) and attentionKL (bottom
/// row, log scale) against computedFraction, one panel column per tile size (Bq × Bk), one curve
/// per estimator (the oracle included), from every stored run's tile points. Points of several
/// runs with one estimator and tile size join one curve, sorted by computedFraction.
enum RecallFigure {
    static let panelHeight = 260.0
    static let panelWidth = 330.0
    static let margin = (left: 64.0, right: 24.0, top: 26.0, bottom: 48.0)

    /// One tile point with what the run says about it.
    struct TilePoint {
        var estimator: String
        var queryBlockSize: Int
        var point: SweepPoint
        var run: StoredRun
        var computedFraction: Double
        var recall: Double
    }

    /// A tile size, the figure's panel column.
    struct TileSize: Hashable, Comparable {
        var queryBlockSize: Int
        var keyBlockSize: Int
        static func < (a: TileSize, b: TileSize) -> Bool {
            (a.queryBlockSize, a.keyBlockSize) < (b.queryBlockSize, b.keyBlockSize)
        }
    }

    /// The estimators in the protocol's order (oracle first), unknown names after.
    static func estimatorOrder(_ names: Set<String>) -> [String] {
        let known = Estimator.allCases.map(\.rawValue)
        return known.filter(names.contains) + names.subtracting(known).sorted()
    }

    /// Tile points of the sweeps (points with `computedFraction` and `recall`); the estimator and
    /// Bq come from the run's canonical params (`oracle`, 1 when absent).
    static func tilePoints(_ sweeps: [SweepResult]) -> [TilePoint] {
        sweeps.flatMap { sweep in
            let estimator = sweep.run.params["estimator"]?.stringValue ?? Estimator.oracle.rawValue
            let bq = sweep.run.params["queryBlockSize"]?.intValue ?? 1
            return sweep.points.compactMap { p -> TilePoint? in
                guard let c = p.computedFraction, let r = p.recall else { return nil }
                return TilePoint(estimator: estimator, queryBlockSize: bq, point: p, run: sweep.run, computedFraction: c, recall: r)
            }
        }
    }

    static func make(_ sweeps: [SweepResult]) -> Figure? {
        let all = tilePoints(sweeps)
        guard !all.isEmpty else { return nil }
        let sizes = Array(Set(all.map { TileSize(queryBlockSize: $0.queryBlockSize, keyBlockSize: $0.point.blockSize) })).sorted()
        let estimators = estimatorOrder(Set(all.map(\.estimator)))
        let width = max(Double(sizes.count) * panelWidth, 560)
        let entries = estimators.enumerated().map { i, name in
            LegendEntry(label: name, shape: .forIndex(i), color: ColorScale.categorical(i), hollow: false, dash: nil, showLine: true)
        }
        let legendHeight = SVGCanvas.legendHeight(entries, maxWidth: width - 20) + 12
        var canvas = SVGCanvas(width: width, height: legendHeight + 2 * panelHeight + 8)
        canvas.legend(entries, x: 12, y: 8, maxWidth: width - 20)

        // Shared scales across panels.
        let xs = all.map(\.computedFraction)
        var xDomain = LinearScale.niceDomain(lo: 0, hi: max(xs.max() ?? 1, 0.1))
        if xDomain.hi <= xDomain.lo { xDomain = (0, 1) }
        let recalls = all.map(\.recall)
        var recallDomain = LinearScale.niceDomain(lo: min(recalls.min() ?? 0, 0.9), hi: 1)
        recallDomain = (max(0, recallDomain.lo), 1)
        let kls = all.map(\.point.attentionKL)
        var clamped = 0

        for (column, size) in sizes.enumerated() {
            let here = all.filter { $0.queryBlockSize == size.queryBlockSize && $0.point.blockSize == size.keyBlockSize }
            for row in 0..<2 {
                let origin = (x: Double(column) * panelWidth, y: legendHeight + Double(row) * panelHeight)
                let area = PlotArea(x: origin.x + margin.left, y: origin.y + margin.top, width: panelWidth - margin.left - margin.right,
                                    height: panelHeight - margin.top - margin.bottom)
                let x = LinearScale(domain: xDomain, range: (area.x, area.right))
                let metric = row == 0 ? "recall" : "attention-kl"
                canvas.addRaw("<g class=\"panel \(metric)\" data-query-block-size=\"\(size.queryBlockSize)\" data-block-size=\"\(size.keyBlockSize)\">")
                canvas.text("tiles \(size.queryBlockSize) queries × \(size.keyBlockSize) keys", x: area.x + area.width / 2,
                            y: origin.y + 16, size: 12, anchor: .middle, weight: "bold", cssClass: "panel-title")
                canvas.bottomAxis(area: area, scale: x, title: "computedFraction (of dense causal attention)")
                let recallScale = LinearScale(domain: recallDomain, range: (area.bottom, area.y))
                let klScale = LogScale.fitting(kls, range: (area.bottom, area.y))
                if row == 0 {
                    canvas.leftAxis(area: area, scale: recallScale, title: "recall (kept exact mass)")
                } else {
                    canvas.leftAxis(area: area, scale: klScale, title: "attentionKL (nats, log scale)")
                }
                for (i, estimator) in estimators.enumerated() {
                    let curve = here.filter { $0.estimator == estimator }.sorted { $0.computedFraction < $1.computedFraction }
                    guard !curve.isEmpty else { continue }
                    let color = ColorScale.categorical(i), shape = MarkerShape.forIndex(i)
                    let value: (TilePoint) -> Double = { row == 0 ? $0.recall : $0.point.attentionKL }
                    let y: (Double) -> Double = { row == 0 ? recallScale.map($0) : klScale.map($0) }
                    canvas.polyline(curve.map { (x.map($0.computedFraction), y(value($0))) }, stroke: color,
                                    cssClass: "series \(metric) estimator-\(estimator)")
                    for p in curve {
                        if row == 1 && klScale.isClamped(p.point.attentionKL) { clamped += 1 }
                        canvas.marker(shape, x: x.map(p.computedFraction), y: y(value(p)), color: color, hollow: false,
                                      cssClass: "marker \(metric) estimator-\(estimator)",
                                      tooltip: "\(estimator), run \(p.run.shortID), \(p.point.name): computedFraction \(NumberFormat.value(p.computedFraction)), "
                                          + (row == 0 ? "recall \(NumberFormat.value(p.recall))" : "attentionKL \(NumberFormat.value(p.point.attentionKL)) nats"))
                    }
                }
                canvas.addRaw("</g>")
            }
        }
        var caption = "Recall against computedFraction, the block-sparse literature's figure, for \(Set(all.map(\.run.id)).count) run"
            + "\(Set(all.map(\.run.id)).count == 1 ? "" : "s") with tile points: one column per tile size (Bq queries × Bk keys), one curve per estimator"
            + " (\(estimators.joined(separator: ", "))). x: computedFraction, the multiply-adds of QKᵀ and P·V over the kept tiles (counted whole)"
            + " and dense-fallback rows over those of dense causal attention. Top: recall, the exact attention mass the kept tiles hold, mean over rows."
            + " Bottom (log scale, nats): attentionKL = mean −ln(kept mass). Points are the masks of the attention-level sweep (chosen from the dense pass)."
        if clamped > 0 { caption += " \(clamped) attentionKL value\(clamped == 1 ? " is" : "s are") 0 or below the axis floor and drawn on the bottom edge." }
        return Figure(name: "tiles-recall.svg", title: "Recall against computed fraction", caption: caption, canvas: canvas)
    }
}
