import Kernels
/// The row metric `perPositionKL` reports.
public enum PerPositionMetric: String, Codable, CaseIterable, Sendable {
    /// `−ln m(q)`, nats.
    case attentionKL
    /// The notebook's clamped KL, nats.
    case seedKL
    /// `1 − m(q)`.
    case prunedMass
}

/// `perPositionKL` result.
public struct PerPositionResult: Codable, Equatable, Sendable {
    public var layers: [PerPositionLayer]
    public init(layers: [PerPositionLayer]) { self.layers = layers }
}

public struct PerPositionLayer: Codable, Equatable, Sendable {
    public var layer: Int
    /// `[T]`: the metric of each query position, mean over heads.
    public var values: [Double]
    /// Means over consecutive positions `[start, end)`, when a segment size was given.
    public var segments: [PositionSegment]?

    public init(layer: Int, values: [Double], segments: [PositionSegment]? = nil) {
        self.layer = layer
        self.values = values
        self.segments = segments
    }
}

/// Mean of the values at positions `[start, end)` (end exclusive).
public struct PositionSegment: Codable, Equatable, Sendable {
    public var start: Int
    public var end: Int
    public var mean: Double

    public init(start: Int, end: Int, mean: Double) {
        self.start = start
        self.end = end
        self.mean = mean
    }
}

/// Per layer and query position, the mean over heads of one row metric for one point.
/// - Important: `consume` and `result` must not be called concurrently on one instance.
public final class PerPositionAccumulator {
    public let point: SweepSetting
    public let metric: PerPositionMetric
    /// Positions per segment mean (nil: no segments).
    public let segmentSize: Int?
    public let shape: AttentionShape
    public let threadCount: Int
    private let analyzers: [RowAnalyzer]
    /// `(L, H, T)` row values.
    private var values: [Double]
    private var seen: [Bool]

    public init(point: SweepSetting, metric: PerPositionMetric, segmentSize: Int? = nil, tokens: Int, heads: Int,
                layers: Int, seedEpsilon: Double = 1e-12, threadCount: Int = ParallelChunks.defaultThreads) throws {
        shape = try AttentionShape(layers: layers, heads: heads, tokens: tokens)
        if let s = segmentSize, s < 1 {
            throw AnalysisError.invalidDimension(field: "segmentSize", value: s, accepted: "an integer ≥ 1 (positions)")
        }
        let plan = try SweepPlan(points: [point], tokens: tokens, seedEpsilon: seedEpsilon)
        self.point = point
        self.metric = metric
        self.segmentSize = segmentSize
        self.threadCount = max(1, min(threadCount, heads))
        analyzers = (0..<self.threadCount).map { _ in RowAnalyzer(plan: plan) }
        values = Array(repeating: 0, count: layers * heads * tokens)
        seen = Array(repeating: false, count: layers)
    }

    /// Evaluates layer `layer`'s attention `(H, T, T)` (causal).
    public func consume(layer: Int, attention: UnsafeBufferPointer<Float>) throws {
        try shape.check(layer: layer, attentionCount: attention.count, seen: seen)
        guard let base = attention.baseAddress else { return }
        let t = shape.tokens, h = shape.heads, metric = self.metric, analyzers = self.analyzers
        values.withUnsafeMutableBufferPointer { values in
            let layerValues = values.baseAddress! + layer * h * t
            ParallelChunks.run(chunks: h, threads: threadCount) { worker, head in
                let analyzer = analyzers[worker]
                for q in 0..<t {
                    analyzer.analyze(row: base + (head * t + q) * t, query: q)
                    let o = analyzer.outcomes[0]
                    switch metric {
                    case .attentionKL: layerValues[head * t + q] = o.attentionKL
                    case .seedKL: layerValues[head * t + q] = o.seedKL
                    case .prunedMass: layerValues[head * t + q] = o.prunedMass
                    }
                }
            }
        }
        seen[layer] = true
    }

    /// Per-layer values; throws `missingLayers` unless every layer was consumed.
    public func result() throws -> PerPositionResult {
        try requireAllLayers(seen)
        return meanOverHeads(values, shape: shape, segmentSize: segmentSize)
    }
}

/// Per layer the mean over heads of `(L, H, T)` row values, with segment means when
/// `segmentSize` is given.
func meanOverHeads(_ values: [Double], shape: AttentionShape, segmentSize: Int?) -> PerPositionResult {
    let t = shape.tokens, h = shape.heads
    return PerPositionResult(layers: (0..<shape.layers).map { l in
        var row = [Double](repeating: 0, count: t)
        for q in 0..<t {
            var sum = 0.0
            for head in 0..<h { sum += values[(l * h + head) * t + q] }
            row[q] = sum / Double(h)
        }
        return PerPositionLayer(layer: l, values: row, segments: segmentSize.map { segmentMeans(row, size: $0) })
    })
}

/// Means of `values` over `[s, min(s + size, T))` for `s = 0, size, 2·size, …`.
func segmentMeans(_ values: [Double], size: Int) -> [PositionSegment] {
    stride(from: 0, to: values.count, by: size).map { start in
        let end = min(start + size, values.count)
        var sum = 0.0
        for i in start..<end { sum += values[i] }
        return PositionSegment(start: start, end: end, mean: sum / Double(end - start))
    }
}
