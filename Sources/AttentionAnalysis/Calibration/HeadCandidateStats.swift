import Foundation
import Kernels

/// One head's tile mask for one candidate rule value, scored against the exact attention and
/// pooled over the rows of every calibration input (Protocol/README.md §10 `calibrate`, §11 tile
/// metrics): what the per-head search compares. Every row of every input weighs the same.
/// Value type; one thread at a time (`merge` pools copies).
public struct HeadCandidateStats: Equatable, Sendable {
    /// Rows scored (Σ T over the inputs).
    public private(set) var rows = 0
    /// Σ over rows of the kept mass m(q).
    public private(set) var keptMass = 0.0
    /// Σ over rows of −ln m(q), nats.
    public private(set) var negativeLogKeptMass = 0.0
    /// Σ kept visible tiles, Σ visible tiles.
    public private(set) var keptTiles = 0, visibleTiles = 0
    /// Σ entries a kernel computes (`TileMask.computedEntries`), Σ causal entries T(T+1)/2.
    public private(set) var computedEntries = 0, causalEntries = 0

    public init() {}

    /// Counts given directly (tests of the search on numbers worked by hand).
    init(rows: Int, keptMass: Double, negativeLogKeptMass: Double, keptTiles: Int, visibleTiles: Int,
         computedEntries: Int, causalEntries: Int) {
        self.rows = rows
        self.keptMass = keptMass
        self.negativeLogKeptMass = negativeLogKeptMass
        self.keptTiles = keptTiles
        self.visibleTiles = visibleTiles
        self.computedEntries = computedEntries
        self.causalEntries = causalEntries
    }

    /// Scores `mask` on one input from the head's row sums at the mask's Bk: O(T·Nk).
    /// - Precondition: `sums` has the mask's T and Bk.
    public mutating func add(mask: TileMask, sums: TileRowSums) {
        let g = mask.geometry
        precondition(sums.tokens == g.tokens && sums.keyBlockSize == g.keyBlockSize, "row sums of another T or Bk")
        for q in 0..<g.tokens {
            let m = sums.keptMass(mask, query: q)
            keptMass += m
            negativeLogKeptMass -= log(m)
        }
        rows += g.tokens
        keptTiles += mask.keptTiles
        visibleTiles += g.visibleTiles
        computedEntries += mask.computedEntries
        causalEntries += g.causalEntries
    }

    /// Adds another input's (or thread's) counts.
    public mutating func merge(_ other: HeadCandidateStats) {
        rows += other.rows
        keptMass += other.keptMass
        negativeLogKeptMass += other.negativeLogKeptMass
        keptTiles += other.keptTiles
        visibleTiles += other.visibleTiles
        computedEntries += other.computedEntries
        causalEntries += other.causalEntries
    }

    /// Mean over rows of m(q) (1 when nothing was scored).
    public var recall: Double { rows == 0 ? 1 : keptMass / Double(rows) }
    /// Mean over rows of −ln m(q), nats (+∞ when a row kept no mass).
    public var attentionKL: Double { rows == 0 ? 0 : negativeLogKeptMass / Double(rows) }
    /// Kept visible tiles / visible tiles.
    public var tileDensity: Double { Double(keptTiles) / Double(max(visibleTiles, 1)) }
    /// Computed entries / causal entries (above 1 when nearly every tile is kept).
    public var computedFraction: Double { Double(computedEntries) / Double(max(causalEntries, 1)) }
    /// The work skipped: 1 − `computedFraction` (negative when the tiles cost more than dense).
    public var sparsity: Double { 1 - computedFraction }
}
