import Foundation
import Kernels

/// One tile point of a sweep (`pruneSweep` with tiles, Protocol/README.md §10–§11): every
/// head's kept mask scored against its exact attention, as the tile metrics and as the classic
/// per-row fields of the mask that results.
///
/// Feed every (layer, head) once with `add`; read `result(...)` at the end. Value type, one
/// thread at a time.
public struct TilePointAccumulator: Sendable {
    /// The classic counts of one layer (the tile metrics are in `metrics`).
    private struct LayerCounts: Sendable {
        var metrics = TileMetricsAccumulator()
        /// Σ visible (q, j) pairs, and those kept (fallback rows keep all theirs).
        var visiblePairs = 0, keptPairs = 0
        /// Σ (q, j) pairs over all T·⌈T/Bk⌉, and the visible ones the pure mask keeps.
        var allPairs = 0, pureKeptPairs = 0
        /// Σ over rows of the pure mask's `seedKL` row value, nats.
        var seedKL = 0.0
    }

    public let seedEpsilon: Double
    private var layers: [Int: LayerCounts] = [:]

    /// - Parameter seedEpsilon: the clamp ε of `seedKL`.
    public init(seedEpsilon: Double) { self.seedEpsilon = seedEpsilon }

    /// Scores one head.
    ///
    /// - Parameters:
    ///   - kept: the mask the point keeps (keep policies included); rows with no kept visible key
    ///     fall back to dense.
    ///   - pure: the rule's (or estimator's) own mask, no keep policy, no fallback: what
    ///     `seedKL` and `seedPrunedFraction` read.
    ///   - attention: the head's exact attention `A` (T, T), row-major, causal zeros included.
    ///   - headDim: D.
    ///   - estimatorMultiplyAdds: what choosing `pure` cost (0 for the oracle).
    /// - Precondition: both masks have the same geometry and `attention.count == T·T`.
    public mutating func add(layer: Int, kept: TileMask, pure: TileMask, attention: UnsafeBufferPointer<Float>,
                             headDim: Int, estimatorMultiplyAdds: Int) {
        let g = kept.geometry
        let sums = TileRowSums(attention: attention, tokens: g.tokens, keyBlockSize: g.keyBlockSize, epsilon: seedEpsilon)
        add(layer: layer, kept: kept, pure: pure, sums: sums, attention: attention, headDim: headDim,
            estimatorMultiplyAdds: estimatorMultiplyAdds)
    }

    /// `add(layer:kept:pure:attention:…)` from the head's row sums at the masks' Bk (built with
    /// this accumulator's `seedEpsilon`; one `TileRowSums` serves every point of that Bk):
    /// O(T·Nk) per point, the attention read only for the rows `TileRowSums.seedKL` cannot
    /// shortcut.
    /// - Precondition: both masks have the same geometry, `sums` its T and Bk and ε = `seedEpsilon`.
    public mutating func add(layer: Int, kept: TileMask, pure: TileMask, sums: TileRowSums, attention: UnsafeBufferPointer<Float>,
                             headDim: Int, estimatorMultiplyAdds: Int) {
        let g = kept.geometry, t = g.tokens
        precondition(pure.geometry == g, "kept and pure masks of different geometry")
        precondition(sums.epsilon == seedEpsilon, "row sums built with another ε")
        var counts = layers[layer] ?? LayerCounts()
        counts.metrics.add(mask: kept, sums: sums, headDim: headDim, estimatorMultiplyAdds: estimatorMultiplyAdds)
        for q in 0..<t {
            counts.visiblePairs += g.visibleKeyBlocks(query: q)
            counts.keptPairs += sums.keptBlocks(kept, query: q)
            counts.allPairs += g.keyBlocks
            counts.pureKeptPairs += sums.keptBlocksWithoutFallback(pure, query: q)
            counts.seedKL += sums.seedKL(pure: pure, attention: attention, query: q)
        }
        layers[layer] = counts
    }

    /// Adds another accumulator's heads (after this one's): feeding heads into separate
    /// accumulators on several threads and merging them in head order gives the same rows, in
    /// the same order, as feeding them one by one.
    public mutating func merge(_ other: TilePointAccumulator) {
        for (l, theirs) in other.layers {
            var mine = layers[l] ?? LayerCounts()
            mine.metrics.merge(theirs.metrics)
            mine.visiblePairs += theirs.visiblePairs
            mine.keptPairs += theirs.keptPairs
            mine.allPairs += theirs.allPairs
            mine.pureKeptPairs += theirs.pureKeptPairs
            mine.seedKL += theirs.seedKL
            layers[l] = mine
        }
    }

    /// The point: classic fields of the kept mask per layer and overall (means over layers;
    /// `prunedMass` and `attentionKL` overall from the pooled rows), and the pooled tile metrics.
    /// - Parameters: `selection`, `blockSize`, `value` label the point.
    public func result(selection: SelectionRule, blockSize: Int, value: Double) -> TilePointResult {
        var pooled = TileMetricsAccumulator()
        var perLayer: [SweepLayerResult] = []
        for (l, counts) in layers.sorted(by: { $0.key < $1.key }) {
            pooled.merge(counts.metrics)
            let rows = Double(max(counts.metrics.rowRecalls.count, 1))
            perLayer.append(SweepLayerResult(
                layer: l, prunedBlockFraction: Double(counts.visiblePairs - counts.keptPairs) / Double(max(counts.visiblePairs, 1)),
                prunedMass: 1 - counts.metrics.recall, attentionKL: counts.metrics.attentionKL, seedKL: counts.seedKL / rows,
                fullyPrunedRows: counts.metrics.fallbackRows))
        }
        let n = Double(max(perLayer.count, 1))
        let allPairs = layers.values.reduce(0) { $0 + $1.allPairs }
        let pureKept = layers.values.reduce(0) { $0 + $1.pureKeptPairs }
        let point = SweepPointResult(
            selection: selection, blockSize: blockSize, threshold: value,
            prunedBlockFraction: perLayer.reduce(0) { $0 + $1.prunedBlockFraction } / n,
            seedPrunedFraction: 1 - Double(pureKept) / Double(max(allPairs, 1)),
            prunedMass: 1 - pooled.recall, attentionKL: pooled.attentionKL,
            seedKL: perLayer.reduce(0) { $0 + $1.seedKL } / n,
            fullyPrunedRows: perLayer.reduce(0) { $0 + $1.fullyPrunedRows }, layers: perLayer)
        return TilePointResult(point: point, tileDensity: pooled.tileDensity, computedFraction: pooled.computedFraction,
                               recall: pooled.recall, recallP5: pooled.recallP5, estimatorMultiplyAdds: pooled.estimatorMultiplyAdds)
    }
}

/// A tile point: the classic fields of its mask and the tile metrics (§11).
public struct TilePointResult: Equatable, Sendable {
    public var point: SweepPointResult
    public var tileDensity: Double
    public var computedFraction: Double
    public var recall: Double
    public var recallP5: Double
    public var estimatorMultiplyAdds: Int
}
