import Foundation
import Kernels

/// `perPositionKL` on the tile path (Protocol/README.md §10, §11 tiles): per layer and query
/// position, the mean over heads of one row metric of each head's tile mask against its exact
/// attention. With Bq = 1 and the oracle's masks it gives the per-row `PerPositionAccumulator`'s
/// values.
/// - Important: `consume` and `result` must not be called concurrently on one instance.
public final class TilePositionAccumulator {
    public let metric: PerPositionMetric
    /// Positions per segment mean (nil: no segments).
    public let segmentSize: Int?
    public let seedEpsilon: Double
    public let shape: AttentionShape
    public let threadCount: Int
    /// `(L, H, T)` row values.
    private var values: [Double]
    private var seen: [Bool]

    public init(metric: PerPositionMetric, segmentSize: Int? = nil, tokens: Int, heads: Int, layers: Int,
                seedEpsilon: Double = 1e-12, threadCount: Int = ParallelChunks.defaultThreads) throws {
        shape = try AttentionShape(layers: layers, heads: heads, tokens: tokens)
        if let s = segmentSize, s < 1 {
            throw AnalysisError.invalidDimension(field: "segmentSize", value: s, accepted: "an integer ≥ 1 (positions)")
        }
        self.metric = metric
        self.segmentSize = segmentSize
        self.seedEpsilon = seedEpsilon
        self.threadCount = max(1, min(threadCount, heads))
        values = Array(repeating: 0, count: layers * heads * tokens)
        seen = Array(repeating: false, count: layers)
    }

    /// Scores layer `layer`: per head h, `kept[h]` (keep policies on; rows with nothing kept fall
    /// back to dense) and `pure[h]` (the rule's own tiles, what `seedKL` reads) against the exact
    /// attention `(H, T, T)`. Row values: `attentionKL` = −ln m(q), `prunedMass` = 1 − m(q)
    /// (`TileRowMetrics.keptMass`), `seedKL` = `TileRowMetrics.seedKL` of the pure mask.
    /// - Throws: `AnalysisError` when the layer, the attention's size or the masks do not fit.
    public func consume(layer: Int, kept: [TileMask], pure: [TileMask], attention: UnsafeBufferPointer<Float>) throws {
        try shape.check(layer: layer, attentionCount: attention.count, seen: seen)
        let t = shape.tokens, h = shape.heads
        for mask in kept + pure where mask.geometry.tokens != t {
            throw AnalysisError.invalidDimension(field: "mask tokens", value: mask.geometry.tokens, accepted: "T = \(t)")
        }
        guard kept.count == h, pure.count == h else {
            throw AnalysisError.invalidDimension(field: "masks", value: min(kept.count, pure.count), accepted: "one per head, H = \(h)")
        }
        let metric = self.metric, eps = seedEpsilon
        values.withUnsafeMutableBufferPointer { values in
            let layerValues = values.baseAddress! + layer * h * t
            ParallelChunks.run(chunks: h, threads: threadCount) { _, head in
                let a = UnsafeBufferPointer(rebasing: attention[(head * t * t)..<((head + 1) * t * t)])   // (T, T)
                for q in 0..<t {
                    let value: Double
                    switch metric {
                    case .attentionKL: value = 0 - log(TileRowMetrics.keptMass(kept[head], attention: a, query: q))
                    case .prunedMass: value = 1 - TileRowMetrics.keptMass(kept[head], attention: a, query: q)
                    case .seedKL: value = TileRowMetrics.seedKL(pure: pure[head], attention: a, query: q, epsilon: eps)
                    }
                    layerValues[head * t + q] = value
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
