import JSONRPC

/// The ranges and limits of Protocol/README.md §9–§10 that several methods share, in one place.
public enum ProtocolLimits {
    /// The longest list param (`thresholds`, `blockSizes`, `texts`).
    public static let maxListLength = 64
    /// A list param's accepted length.
    public static let listLength = 1...maxListLength
    /// The most numbers `includeAttention` (L·H·T²) or `includeLogits` (T·V) may return.
    public static let maxInlineEntries = 4_000_000
    /// Tokens per key block.
    public static let blockSize = 1...4096
    /// Queries per tile (`queryBlockSize`).
    public static let queryBlockSize = 1...1024
    /// `stride` of the `antidiagonal` estimator (it must also divide both block sizes).
    public static let stride = 1...1024
    /// `lastQueries` of the `lastQueries` estimator, queries.
    public static let lastQueries = 1...4096
    /// `sinkTokens` of the `streaming` estimator, tokens.
    public static let sinkTokens = 0...4096
    /// A window of the `window` selection (`streaming`), tokens.
    public static let windowTokens = 1...4096
    /// A seed (`inductionSeed`): the integers JSON numbers hold exactly.
    public static let seed = 0...((1 << 53) - 1)
    /// `inductionLength` n, tokens (the daemon also needs `2n + 1 ≤ nPositions`).
    public static let inductionLength = 1...4096
    /// `k` of the `topK` rule.
    public static let topKValue = 1...1_000_000
    /// A threshold or coverage value: `(0, 1]`.
    public static let probability = NumberInterval.openClosed(0, 1)
    /// A `relativeThreshold` value c: `(0, 1024]` (the library's `RelativeThresholdRange`; a test
    /// checks they agree). The row's cut is c / its visible keys.
    public static let relativeThreshold = NumberInterval.openClosed(0, 1024)
    /// `seedEpsilon`, the clamp of `seedKL` (the library's `SeedEpsilon` range; a test checks they agree).
    public static let seedEpsilon = NumberInterval.closed(1e-300, 1e-3)
    /// The default `seedEpsilon`.
    public static let seedEpsilonDefault = 1e-12
    /// The divergence budgets `maxAttentionKL`, `maxOutputKL`, nats.
    public static let budget = NumberInterval.greaterThan(0)
    /// The most sweep points one `pruneSweep` may evaluate: texts × blockSizes × thresholds.
    public static let maxSweepPoints = 16_384
    /// The most pruned forward passes one `pruneSweep` with `endToEnd` may run: texts ×
    /// blockSizes × thresholds.
    public static let maxEndToEndPasses = 2_048
}
