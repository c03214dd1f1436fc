/// One sweep point's numbers, field names as in the `pruneSweep` result (Protocol/README.md §10; metrics defined in §11).
///
/// Means are over heads and queries per layer, then over layers; all in Float64.
public struct SweepPointResult: Codable, Equatable, Sendable {
    public var selection: SelectionRule
    /// Keys per block.
    public var blockSize: Int
    /// The rule's value: `τ` (threshold, coverage), `c` (relativeThreshold) or `k` (topK).
    public var threshold: Double
    /// Pruned visible (l, h, q, j) / visible (l, h, q, j).
    public var prunedBlockFraction: Double
    /// The notebook's "blocks pruned": (pure-rule pruned + causally masked) / (L·H·T·ceil(T/B)).
    public var seedPrunedFraction: Double
    /// Mean of `1 − m(q)`.
    public var prunedMass: Double
    /// Mean of `KL(Q ‖ P) = −ln m(q)`, nats.
    public var attentionKL: Double
    /// The notebook's number, kept for comparison only: `KL(P' ‖ Q')` with both clamped to at
    /// least `seedEpsilon`, over all `T` keys, pure rule, row sums clamped at 0; nats. Most of
    /// it comes from `eps` (each pruned weight `A` adds `A ln(A / eps)`), so it grows as `eps`
    /// shrinks; `attentionKL` is the exact, finite divergence.
    public var seedKL: Double
    /// (layer, head, query) rows kept dense because every visible block would be pruned.
    public var fullyPrunedRows: Int
    public var layers: [SweepLayerResult]
    /// Present when the pruned forward pass was run (`endToEnd`).
    public var endToEnd: EndToEndMetrics?

    public init(selection: SelectionRule, blockSize: Int, threshold: Double, prunedBlockFraction: Double,
                seedPrunedFraction: Double, prunedMass: Double, attentionKL: Double, seedKL: Double,
                fullyPrunedRows: Int, layers: [SweepLayerResult], endToEnd: EndToEndMetrics? = nil) {
        self.selection = selection
        self.blockSize = blockSize
        self.threshold = threshold
        self.prunedBlockFraction = prunedBlockFraction
        self.seedPrunedFraction = seedPrunedFraction
        self.prunedMass = prunedMass
        self.attentionKL = attentionKL
        self.seedKL = seedKL
        self.fullyPrunedRows = fullyPrunedRows
        self.layers = layers
        self.endToEnd = endToEnd
    }
}

/// One layer of a sweep point: means over heads and queries.
public struct SweepLayerResult: Codable, Equatable, Sendable {
    public var layer: Int
    public var prunedBlockFraction: Double
    public var prunedMass: Double
    /// nats
    public var attentionKL: Double
    /// nats (the notebook's clamped number)
    public var seedKL: Double
    public var fullyPrunedRows: Int

    public init(layer: Int, prunedBlockFraction: Double, prunedMass: Double, attentionKL: Double,
                seedKL: Double, fullyPrunedRows: Int) {
        self.layer = layer
        self.prunedBlockFraction = prunedBlockFraction
        self.prunedMass = prunedMass
        self.attentionKL = attentionKL
        self.seedKL = seedKL
        self.fullyPrunedRows = fullyPrunedRows
    }
}
