/// `profileAttention` result: per layer and head, plus means over every head.
public struct AttentionProfile: Codable, Equatable, Sendable {
    public var layers: [ProfileLayer]
    /// Means over all (layer, head) pairs of the head fields.
    public var summary: ProfileSummary

    public init(layers: [ProfileLayer], summary: ProfileSummary) {
        self.layers = layers
        self.summary = summary
    }
}

public struct ProfileLayer: Codable, Equatable, Sendable {
    public var layer: Int
    public var heads: [ProfileHead]

    public init(layer: Int, heads: [ProfileHead]) {
        self.layer = layer
        self.heads = heads
    }
}

/// One head's attention profile; means are over its `T` query rows.
public struct ProfileHead: Codable, Equatable, Sendable {
    public var head: Int
    /// Share of causally visible entries (`k ≤ q`) below `entryThreshold`.
    public var entrySparsity: Double
    /// Share of all `T×T` entries below `entryThreshold` (future zeros counted, as the notebook did).
    public var entrySparsitySeed: Double
    /// Mean row entropy, nats.
    public var entropy: Double
    /// Mean weight on key 0.
    public var sinkMass: Double
    /// Mean weight inside the query's own key block.
    public var localMass: Double
    public var blocks: [ProfileBlockFraction]
    public var coverage: CoverageCounts
    // Head roles (§11), present when the accumulator was given the token ids.
    public var sinkScore: Double?
    public var localScore: Double?
    public var previousTokenScore: Double?
    public var duplicateTokenScore: Double?
    /// On the induction sequence, when `result(induction:)` was given it.
    public var inductionScore: Double?
    public var streamingMass: Double?
    public var streamingHead: Bool?
    public var role: HeadRole?

    public init(head: Int, entrySparsity: Double, entrySparsitySeed: Double, entropy: Double, sinkMass: Double,
                localMass: Double, blocks: [ProfileBlockFraction], coverage: CoverageCounts) {
        self.head = head
        self.entrySparsity = entrySparsity
        self.entrySparsitySeed = entrySparsitySeed
        self.entropy = entropy
        self.sinkMass = sinkMass
        self.localMass = localMass
        self.blocks = blocks
        self.coverage = coverage
    }

    /// Sets the text scores, the induction score (nil: not measured) and the role and
    /// streaming verdicts they give.
    mutating func assignRoles(_ scores: HeadTextScores, induction: Double?, options: HeadRoleOptions) {
        sinkScore = scores.sinkScore
        localScore = scores.localScore
        previousTokenScore = scores.previousTokenScore
        duplicateTokenScore = scores.duplicateTokenScore
        inductionScore = induction
        streamingMass = scores.streamingMass
        streamingHead = scores.streamingMass >= options.streamingMinMass
        role = HeadRole.decide(induction: induction, duplicateToken: scores.duplicateTokenScore,
                               previousToken: scores.previousTokenScore, sink: scores.sinkScore, local: scores.localScore,
                               threshold: options.roleThreshold)
    }
}

/// Block sparsity at one threshold.
public struct ProfileBlockFraction: Codable, Equatable, Sendable {
    public var threshold: Double
    /// Share of visible (query, block) pairs whose block max is below the threshold.
    public var fraction: Double
    /// The same over all `T·ceil(T/B)` pairs (causally masked pairs count as below).
    public var fractionSeed: Double

    public init(threshold: Double, fraction: Double, fractionSeed: Double) {
        self.threshold = threshold
        self.fraction = fraction
        self.fractionSeed = fractionSeed
    }
}

/// Mean number of key blocks a row needs (largest first) to hold 90%, 95%, 99% of its mass.
public struct CoverageCounts: Codable, Equatable, Sendable {
    public var p90: Double
    public var p95: Double
    public var p99: Double

    public init(p90: Double, p95: Double, p99: Double) {
        self.p90 = p90
        self.p95 = p95
        self.p99 = p99
    }
}

/// Means over every (layer, head) of the profile's head fields.
public struct ProfileSummary: Codable, Equatable, Sendable {
    public var entrySparsity: Double
    public var entrySparsitySeed: Double
    /// nats
    public var entropy: Double
    public var sinkMass: Double
    public var localMass: Double
    public var blocks: [ProfileBlockFraction]
    public var coverage: CoverageCounts

    public init(entrySparsity: Double, entrySparsitySeed: Double, entropy: Double, sinkMass: Double,
                localMass: Double, blocks: [ProfileBlockFraction], coverage: CoverageCounts) {
        self.entrySparsity = entrySparsity
        self.entrySparsitySeed = entrySparsitySeed
        self.entropy = entropy
        self.sinkMass = sinkMass
        self.localMass = localMass
        self.blocks = blocks
        self.coverage = coverage
    }

    /// Means over `heads` (which must not be empty).
    init(averaging heads: [ProfileHead]) {
        let n = Double(heads.count)
        func mean(_ f: (ProfileHead) -> Double) -> Double { heads.reduce(0) { $0 + f($1) } / n }
        self.init(
            entrySparsity: mean(\.entrySparsity), entrySparsitySeed: mean(\.entrySparsitySeed),
            entropy: mean(\.entropy), sinkMass: mean(\.sinkMass), localMass: mean(\.localMass),
            blocks: heads[0].blocks.indices.map { i in
                ProfileBlockFraction(threshold: heads[0].blocks[i].threshold, fraction: mean { $0.blocks[i].fraction },
                                     fractionSeed: mean { $0.blocks[i].fractionSeed })
            },
            coverage: CoverageCounts(p90: mean(\.coverage.p90), p95: mean(\.coverage.p95), p99: mean(\.coverage.p99)))
    }
}
