/// One threshold of a head's block profile.
public struct BlockFraction: Codable, Equatable, Sendable {
    public var threshold: Double
    /// Share of visible (query, block) pairs whose block max is below `threshold`.
    public var fraction: Double
    /// The same over all T·⌈T/B⌉ pairs, causally masked ones counted (the notebook's number).
    public var fractionSeed: Double
}

/// Mean fewest visible blocks reaching 90%, 95%, 99% of a row's mass, blocks.
public struct Coverage: Codable, Equatable, Sendable {
    public var p90: Double
    public var p95: Double
    public var p99: Double
}

/// One head's profile over its T query rows (§10).
public struct ProfileHead: Codable, Equatable, Sendable {
    public var head: Int
    public var entrySparsity: Double
    public var entrySparsitySeed: Double
    /// nats
    public var entropy: Double
    public var sinkMass: Double
    public var localMass: Double
    public var blocks: [BlockFraction]
    public var coverage: Coverage
    // Head roles (§11): the daemon always sends them; absent in runs stored before it did.
    /// Mean over rows of `A[q, 0]`.
    public var sinkScore: Double?
    /// Mean over rows of the mass on keys `q − localWindow + 1 … q`.
    public var localScore: Double?
    /// TransformerLens' previous-token score (`mul`, nothing excluded).
    public var previousTokenScore: Double?
    /// TransformerLens' duplicate-token score.
    public var duplicateTokenScore: Double?
    /// The tutorial's induction stripe on the request's induction sequence (one per request).
    public var inductionScore: Double?
    /// Mean over rows of the mass sink + local window keep (DuoAttention's streaming pattern).
    public var streamingMass: Double?
    /// `streamingMass ≥ streamingMinMass`.
    public var streamingHead: Bool?
    public var role: HeadRoleName?
}

/// The `role` label of a head (§11).
public enum HeadRoleName: String, Codable, CaseIterable, Sendable {
    case induction, duplicateToken, previousToken, sink, local, diffuse
}

/// A head's fields averaged over every layer and head (`summary`).
public struct ProfileSummary: Codable, Equatable, Sendable {
    public var entrySparsity: Double
    public var entrySparsitySeed: Double
    /// nats
    public var entropy: Double
    public var sinkMass: Double
    public var localMass: Double
    public var blocks: [BlockFraction]
    public var coverage: Coverage
}

public struct ProfileLayer: Codable, Equatable, Sendable {
    public var layer: Int
    public var heads: [ProfileHead]
}

/// Where `exportPath` wrote the attention.
public struct ExportedTensor: Codable, Equatable, Sendable {
    public var path: String
    /// `[L, H, T, T]`
    public var shape: [Int]
    /// `"float32"`
    public var dtype: String
    /// File size, bytes.
    public var bytes: Int?

    public init(path: String, shape: [Int], dtype: String, bytes: Int?) {
        self.path = path
        self.shape = shape
        self.dtype = dtype
        self.bytes = bytes
    }
}

/// The threshold rule's decision for one threshold of `thresholds` at `blockSize` (§11, no
/// keep policy), exactly as `pruneSweep` would prune: which causally visible key blocks each
/// query row keeps. Only with `includeAttention`.
public struct BlockMask: Codable, Equatable, Sendable {
    public var threshold: Double
    /// `[L][H][T]`: row q is a string of ⌊q/B⌋ + 1 characters, one per visible key block in
    /// order, `1` kept, `0` pruned. A row the rule would empty is kept dense (all `1`).
    public var kept: [[[String]]]

    public init(threshold: Double, kept: [[[String]]]) {
        self.threshold = threshold
        self.kept = kept
    }
}

/// One text of a `texts` profile.
public struct ProfileOfText: Codable, Equatable, Sendable {
    public var numTokens: Int
    public var layers: [ProfileLayer]
    public var summary: ProfileSummary

    public init(numTokens: Int, layers: [ProfileLayer], summary: ProfileSummary) {
        self.numTokens = numTokens
        self.layers = layers
        self.summary = summary
    }
}

public struct BlockFractionStat: Codable, Equatable, Sendable {
    public var threshold: Double
    public var fraction: Stat
    public var fractionSeed: Stat
}

public struct CoverageStat: Codable, Equatable, Sendable {
    public var p90: Stat
    public var p95: Stat
    public var p99: Stat
}

/// One (layer, head) across texts.
public struct ProfileHeadStat: Codable, Equatable, Sendable {
    public var layer: Int
    public var head: Int
    public var entrySparsity: Stat
    public var entrySparsitySeed: Stat
    public var entropy: Stat
    public var sinkMass: Stat
    public var localMass: Stat
    public var blocks: [BlockFractionStat]
    public var coverage: CoverageStat
    // Head roles (§11): Stats across texts; `inductionScore` is the request's one measurement;
    // `role` and `streamingHead` are decided from the means. Absent in runs stored before them.
    public var sinkScore: Stat?
    public var localScore: Stat?
    public var previousTokenScore: Stat?
    public var duplicateTokenScore: Stat?
    public var inductionScore: Double?
    public var streamingMass: Stat?
    public var streamingHead: Bool?
    public var role: HeadRoleName?
}

public struct ProfileAggregate: Codable, Equatable, Sendable {
    /// Layer-major.
    public var heads: [ProfileHeadStat]

    public init(heads: [ProfileHeadStat]) { self.heads = heads }
}

/// `profileAttention`'s own members: `layers` + `summary` for one input, `texts` +
/// `aggregate` for `texts` (§12).
public struct ProfileAttentionResult: Codable, Equatable, Sendable {
    public var layers: [ProfileLayer]?
    public var summary: ProfileSummary?
    /// `[L][H][T][T]`, only with `includeAttention`.
    public var attention: [[[[Float]]]]?
    /// One per threshold of `thresholds`, only with `includeAttention`.
    public var blockMasks: [BlockMask]?
    public var exported: ExportedTensor?
    public var texts: [ProfileOfText]?
    public var aggregate: ProfileAggregate?

    public init(layers: [ProfileLayer]? = nil, summary: ProfileSummary? = nil, attention: [[[[Float]]]]? = nil,
                blockMasks: [BlockMask]? = nil, exported: ExportedTensor? = nil, texts: [ProfileOfText]? = nil, aggregate: ProfileAggregate? = nil) {
        self.layers = layers
        self.summary = summary
        self.attention = attention
        self.blockMasks = blockMasks
        self.exported = exported
        self.texts = texts
        self.aggregate = aggregate
    }
}
