import Foundation
import Kernels

/// A tile selection scored against the exact attention, pooled over heads and layers
/// (Protocol/README.md §11, tile metrics). Feed each head's mask with its exact attention;
/// read the metrics at the end. Value type: one thread at a time (pool per-thread copies with
/// `merge`).
public struct TileMetricsAccumulator: Sendable {
    /// Σ kept visible tiles.
    public private(set) var keptTiles = 0
    /// Σ visible tiles.
    public private(set) var visibleTiles = 0
    /// Σ entries computed per product (kept tiles whole + fallback rows), `TileMask.computedEntries`.
    public private(set) var computedEntries = 0
    /// Σ causal entries `T(T+1)/2` (dense causal attention's entries per product).
    public private(set) var causalEntries = 0
    /// Σ multiply-adds of dense causal attention: `2·D·T(T+1)/2` per head (QKᵀ and P·V).
    public private(set) var denseMultiplyAdds = 0
    /// Σ of the estimator's multiply-adds.
    public private(set) var estimatorMultiplyAdds = 0
    /// Rows that fell back to dense.
    public private(set) var fallbackRows = 0
    /// Kept exact mass `m(q)` of every row fed, in feeding order.
    public private(set) var rowRecalls: [Double] = []

    public init() {}

    /// Scores one head: `mask` against its exact attention `A` (T, T) row-major, causal.
    ///
    /// Row q's kept mass `m(q) = Σ_{k≤q kept} A[q,k] / Σ_{k≤q} A[q,k]` (Float64, keys in order;
    /// 1 for a row that falls back to dense, or whose row sum is 0).
    /// - Parameters:
    ///   - headDim: D, for `denseMultiplyAdds`.
    ///   - estimatorMultiplyAdds: what choosing `mask` cost (`TileEstimate.multiplyAdds`; 0 for the oracle).
    /// - Precondition: `attention.count == T·T` for the mask's T.
    public mutating func add(mask: TileMask, attention: UnsafeBufferPointer<Float>, headDim: Int,
                             estimatorMultiplyAdds cost: Int = 0) {
        let g = mask.geometry
        let sums = TileRowSums(attention: attention, tokens: g.tokens, keyBlockSize: g.keyBlockSize, epsilon: 1e-12)
        add(mask: mask, sums: sums, headDim: headDim, estimatorMultiplyAdds: cost)
    }

    /// `add(mask:attention:…)` from the head's row sums at the mask's Bk (one `TileRowSums`
    /// serves every mask of that Bk): O(T·Nk).
    /// - Precondition: `sums` has the mask's T and Bk.
    public mutating func add(mask: TileMask, sums: TileRowSums, headDim: Int, estimatorMultiplyAdds cost: Int = 0) {
        let g = mask.geometry, t = g.tokens
        precondition(sums.tokens == t && sums.keyBlockSize == g.keyBlockSize, "row sums of another T or Bk")
        keptTiles += mask.keptTiles
        visibleTiles += g.visibleTiles
        computedEntries += mask.computedEntries
        causalEntries += g.causalEntries
        denseMultiplyAdds += 2 * headDim * g.causalEntries
        estimatorMultiplyAdds += cost
        for q in 0..<t {
            if mask.fallsBack(query: q) { fallbackRows += 1 }
            rowRecalls.append(sums.keptMass(mask, query: q))
        }
    }

    /// Adds estimator multiply-adds spent on masks scored separately (e.g. a whole layer's).
    public mutating func addCost(_ multiplyAdds: Int) { estimatorMultiplyAdds += multiplyAdds }

    /// Adds another accumulator's counts and rows (after this one's).
    public mutating func merge(_ other: TileMetricsAccumulator) {
        keptTiles += other.keptTiles
        visibleTiles += other.visibleTiles
        computedEntries += other.computedEntries
        causalEntries += other.causalEntries
        denseMultiplyAdds += other.denseMultiplyAdds
        estimatorMultiplyAdds += other.estimatorMultiplyAdds
        fallbackRows += other.fallbackRows
        rowRecalls += other.rowRecalls
    }

    /// `tileDensity` = kept visible tiles / visible tiles.
    public var tileDensity: Double { Double(keptTiles) / Double(max(visibleTiles, 1)) }

    /// `computedFraction` = computed entries / causal entries: the multiply-adds of QKᵀ and P·V
    /// over kept tiles (whole) and fallback rows over those of dense causal attention.
    public var computedFraction: Double { Double(computedEntries) / Double(max(causalEntries, 1)) }

    /// `recall` = mean over rows of `m(q)`.
    public var recall: Double { rowRecalls.isEmpty ? 1 : rowRecalls.reduce(0, +) / Double(rowRecalls.count) }

    /// `recallP5` = the 5th percentile of `m(q)` over rows, nearest rank: the
    /// `⌈0.05·N⌉`-th smallest (the smallest when N ≤ 20).
    public var recallP5: Double { nearestRankPercentile(rowRecalls, 0.05) }

    /// `attentionKL` of the mask = mean over rows of `−ln m(q)` (nats; +inf if a row keeps no mass).
    public var attentionKL: Double {
        rowRecalls.isEmpty ? 0 : rowRecalls.reduce(0) { $0 - log($1) } / Double(rowRecalls.count)
    }

    /// `estimatorCostFraction` = estimator multiply-adds / dense causal attention's multiply-adds.
    public var estimatorCostFraction: Double { Double(estimatorMultiplyAdds) / Double(max(denseMultiplyAdds, 1)) }
}

/// The `p`-quantile of `values` by nearest rank: the `⌈p·N⌉`-th smallest (at least the first).
/// 1 when empty.
func nearestRankPercentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 1 }
    let sorted = values.sorted()
    let rank = max(1, Int((p * Double(sorted.count)).rounded(.up)))
    return sorted[min(rank, sorted.count) - 1]
}
