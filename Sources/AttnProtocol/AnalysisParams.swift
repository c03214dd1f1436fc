import JSONRPC

// The params of the four analyses (§10). Each stored property is a wire field; the input is
// stored as its three optional fields (exactly one is set) so that the synthesised encoding
// is the flat params object.

/// `forward` params.
public struct ForwardParams: MethodParams, Equatable {
    public var text: String?
    public var tokens: [Int]?
    /// Predictions per position.
    public var topK: Int
    public var includeLogits: Bool
    public var force: Bool

    public static let defaultTopK = 5
    public static let topKRange = 0...100

    public var input: AnalysisInput { AnalysisInput(text: text, tokens: tokens, texts: nil) }

    public init(reading r: ParamReader) throws {
        (text, tokens, _) = try AnalysisInput.read(r, allowTexts: false).fields
        topK = try r.int("topK", default: Self.defaultTopK, range: Self.topKRange)
        includeLogits = try r.bool("includeLogits", default: false)
        force = try r.bool("force", default: false)
    }
}

/// `profileAttention` params.
public struct ProfileAttentionParams: MethodParams, Equatable {
    public var text: String?
    public var tokens: [Int]?
    public var texts: [String]?
    /// Tokens per key block.
    public var blockSize: Int
    /// Block-max thresholds of `blocks[]`, each in (0, 1].
    public var thresholds: [Double]
    /// The weight below which an entry counts as sparse.
    public var entryThreshold: Double
    public var includeAttention: Bool
    /// Queries per tile (Bq) of `blockMasks`: 1 decides per query row; larger values keep or
    /// prune (query block × key block) tiles whole, by the oracle's tile threshold rule (§11).
    public var queryBlockSize: Int
    /// Path of a `.npy` file to write: no NUL byte, no `..` segment (`PathRules`); absolute, or
    /// relative to `attnd --export-dir` (checked against the file system by the daemon).
    public var exportPath: String?
    public var overwrite: Bool
    public var force: Bool
    // Head roles (§11).
    /// `localScore`'s window, tokens.
    public var localWindow: Int
    /// Seed of the induction sequence's SplitMix64.
    public var inductionSeed: Int
    /// `n` of the induction sequence (BOS + n random ids + the same n), tokens; the daemon
    /// also needs `2n + 1 ≤ nPositions`.
    public var inductionLength: Int
    /// `streamingMass`'s sink, tokens.
    public var streamingSinkTokens: Int
    /// `streamingMass`'s local window, tokens.
    public var streamingWindow: Int
    /// `streamingHead` when `streamingMass` reaches it.
    public var streamingMinMass: Double
    /// The score a named `role` needs.
    public var roleThreshold: Double

    public static let defaultBlockSize = 4
    public static let defaultThresholds = [0.05, 0.1, 0.2, 0.5]
    public static let defaultEntryThreshold = 0.05
    public static let defaultLocalWindow = 4
    public static let defaultInductionSeed = 0
    public static let defaultInductionLength = 50
    public static let defaultStreamingSinkTokens = 4
    public static let defaultStreamingWindow = 64
    public static let defaultStreamingMinMass = 0.9
    public static let defaultRoleThreshold = 0.4

    public var input: AnalysisInput { AnalysisInput(text: text, tokens: tokens, texts: texts) }

    public init(reading r: ParamReader) throws {
        let input = try AnalysisInput.read(r, allowTexts: true)
        (text, tokens, texts) = input.fields
        blockSize = try r.int("blockSize", default: Self.defaultBlockSize, range: ProtocolLimits.blockSize)
        thresholds = try r.doubleArray("thresholds", default: Self.defaultThresholds, count: ProtocolLimits.listLength,
                                       element: ProtocolLimits.probability)
        entryThreshold = try r.double("entryThreshold", default: Self.defaultEntryThreshold, in: ProtocolLimits.probability)
        includeAttention = try r.bool("includeAttention", default: false)
        queryBlockSize = try r.int("queryBlockSize", default: TileDefaults.queryBlockSize, range: ProtocolLimits.queryBlockSize)
        exportPath = try r.optionalPath("exportPath")
        overwrite = try r.bool("overwrite", default: false)
        force = try r.bool("force", default: false)
        localWindow = try r.int("localWindow", default: Self.defaultLocalWindow, range: ProtocolLimits.windowTokens)
        inductionSeed = try r.int("inductionSeed", default: Self.defaultInductionSeed, range: ProtocolLimits.seed)
        inductionLength = try r.int("inductionLength", default: Self.defaultInductionLength, range: ProtocolLimits.inductionLength)
        streamingSinkTokens = try r.int("streamingSinkTokens", default: Self.defaultStreamingSinkTokens, range: ProtocolLimits.sinkTokens)
        streamingWindow = try r.int("streamingWindow", default: Self.defaultStreamingWindow, range: ProtocolLimits.windowTokens)
        streamingMinMass = try r.double("streamingMinMass", default: Self.defaultStreamingMinMass, in: ProtocolLimits.probability)
        roleThreshold = try r.double("roleThreshold", default: Self.defaultRoleThreshold, in: ProtocolLimits.probability)
        if input.isMulti && includeAttention { throw r.invalid("includeAttention", accepted: "false with `texts`") }
        if input.isMulti && exportPath != nil { throw r.invalid("exportPath", accepted: "absent with `texts`") }
    }
}

/// `pruneSweep` params.
public struct PruneSweepParams: MethodParams, TileRuleParams, Equatable {
    public var text: String?
    public var tokens: [Int]?
    public var texts: [String]?
    public var selection: Selection
    /// The rule values (τ, k for topK, or the window in tokens for window), by default
    /// `selection.defaultSweepValues`.
    public var thresholds: [Double]
    /// Keys per tile (Bk), tokens.
    public var blockSizes: [Int]
    /// Queries per tile (Bq); 1 with `oracle` is the per-row rule (§11).
    public var queryBlockSize: Int
    /// How the kept tiles are decided (§11).
    public var estimator: Estimator
    /// `antidiagonal`'s stride S (must divide `queryBlockSize` and every block size).
    public var stride: Int
    /// `lastQueries`' number of queries.
    public var lastQueries: Int
    /// `streaming`'s sink, tokens.
    public var sinkTokens: Int
    public var keepSink: Bool
    public var keepLocal: Bool
    public var endToEnd: Bool
    public var seedEpsilon: Double
    /// Budget of `recommendation`, nats.
    public var maxAttentionKL: Double?
    /// Budget of `recommendation`, nats; needs `endToEnd`.
    public var maxOutputKL: Double?
    /// Write each point's kept tiles in FlexAttention `BlockMask` layout under `exportPath` (§10).
    public var exportMask: Bool
    /// With `exportMask`: the folder to create (`PathRules`; absolute, or relative to
    /// `attnd --export-dir`; checked against the file system by the daemon).
    public var exportPath: String?
    /// A per-head configuration (a `calibrate` run or an inline table): the sweep is then its one
    /// point, and the table fixes the selection, values, tiles, estimator and keep policies.
    public var perHead: PerHeadSpec?
    public var force: Bool

    public static let defaultBlockSizes = [16, 32]
    public var input: AnalysisInput { AnalysisInput(text: text, tokens: tokens, texts: texts) }

    public init(reading r: ParamReader) throws {
        (text, tokens, texts) = try AnalysisInput.read(r, allowTexts: true).fields
        perHead = try PerHeadSpec.read(r)
        if perHead != nil { try PerHeadSpec.refuseFixedFields(r) }
        (estimator, selection) = try r.estimatorAndSelection()
        thresholds = perHead == nil ? try r.ruleValues("thresholds", selection: selection) : [0]
        blockSizes = try r.intArray("blockSizes", default: Self.defaultBlockSizes, count: ProtocolLimits.listLength,
                                    element: ProtocolLimits.blockSize)
        (queryBlockSize, stride, lastQueries, sinkTokens) = try r.tileShape(estimator: estimator, keyBlockSizes: blockSizes)
        keepSink = try r.bool("keepSink", default: false)
        keepLocal = try r.bool("keepLocal", default: false)
        endToEnd = try r.bool("endToEnd", default: false)
        seedEpsilon = try r.seedEpsilon()
        maxAttentionKL = try r.optionalDouble("maxAttentionKL", in: ProtocolLimits.budget)
        maxOutputKL = try r.optionalDouble("maxOutputKL", in: ProtocolLimits.budget)
        exportMask = try r.bool("exportMask", default: false)
        exportPath = try r.optionalPath("exportPath")
        force = try r.bool("force", default: false)
        try checkMaskExport(r)
        if perHead != nil, let field = ["maxAttentionKL", "maxOutputKL", "exportMask"].first(where: { r.has($0) }) {
            throw r.invalid(field, accepted: "absent with perHead (one configuration: nothing to recommend or export)")
        }
        if maxOutputKL != nil && !endToEnd {
            throw r.invalid("maxOutputKL", accepted: "only with endToEnd: true (outputKL needs the pruned forward pass)")
        }
        try checkWorkBudget(r)
    }

    /// `exportMask` needs `exportPath`, one input and tile points; `exportPath` needs `exportMask`.
    private func checkMaskExport(_ r: ParamReader) throws {
        if exportMask && exportPath == nil {
            throw r.invalid("exportPath", accepted: "the path of a folder to create (required with exportMask: true)")
        }
        if !exportMask && exportPath != nil { throw r.invalid("exportPath", accepted: "absent unless exportMask: true") }
        guard exportMask else { return }
        if texts != nil { throw r.invalid("exportMask", accepted: "false with `texts` (masks are exported for one input)") }
        if !usesTiles {
            throw r.invalid("exportMask", accepted: "false on the per-row path (needs queryBlockSize > 1 or an estimator other than oracle)")
        }
    }

    /// Sweep points this request evaluates: texts × blockSizes × thresholds.
    public var pointCount: Int { (texts?.count ?? 1) * blockSizes.count * thresholds.count }

    /// Refuses, before any work, a request over `maxSweepPoints` (or, with `endToEnd`,
    /// `maxEndToEndPasses`), naming the product and the cap.
    private func checkWorkBudget(_ r: ParamReader) throws {
        let textCount = texts?.count ?? 1
        let (cap, what) = endToEnd ? (ProtocolLimits.maxEndToEndPasses, "end-to-end passes")
                                   : (ProtocolLimits.maxSweepPoints, "sweep points")
        guard pointCount > cap else { return }
        let product = "texts × blockSizes × thresholds = \(textCount) × \(blockSizes.count) × \(thresholds.count) = \(pointCount) \(what)"
        throw RPCError(.invalidParams, "invalid params: \(product), over the cap of \(cap) per request; split the sweep into several requests",
                       data: ["field": "texts × blockSizes × thresholds", "value": .int(Int64(pointCount)),
                              "accepted": .string("at most \(cap) \(what) per request")])
    }
}

/// `perPositionKL` params.
public struct PerPositionKLParams: MethodParams, TileRuleParams, Equatable {
    public var text: String?
    public var tokens: [Int]?
    public var selection: Selection
    /// The rule value (τ, k for topK, or the window in tokens for window), by default
    /// `selection.defaultPointValue`.
    public var threshold: Double
    /// Keys per tile (Bk), tokens.
    public var blockSize: Int
    /// Queries per tile (Bq); 1 with `oracle` is the per-row rule (§11).
    public var queryBlockSize: Int
    /// How the kept tiles are decided (§11).
    public var estimator: Estimator
    public var stride: Int
    public var lastQueries: Int
    public var sinkTokens: Int
    public var metric: PositionMetric
    public var keepSink: Bool
    public var keepLocal: Bool
    public var seedEpsilon: Double
    /// Tokens per segment of `segments`.
    public var segmentSize: Int?
    /// A per-head configuration (a `calibrate` run or an inline table) instead of one rule for
    /// every head: it fixes the selection, values, tiles, estimator and keep policies.
    public var perHead: PerHeadSpec?
    public var force: Bool

    public static let defaultBlockSize = 32

    public var input: AnalysisInput { AnalysisInput(text: text, tokens: tokens, texts: nil) }

    public init(reading r: ParamReader) throws {
        (text, tokens, _) = try AnalysisInput.read(r, allowTexts: false).fields
        perHead = try PerHeadSpec.read(r)
        if perHead != nil { try PerHeadSpec.refuseFixedFields(r) }
        (estimator, selection) = try r.estimatorAndSelection()
        threshold = try r.ruleValue("threshold", selection: selection)
        blockSize = try r.int("blockSize", default: Self.defaultBlockSize, range: ProtocolLimits.blockSize)
        (queryBlockSize, stride, lastQueries, sinkTokens) = try r.tileShape(estimator: estimator, keyBlockSizes: [blockSize])
        let metricName = try r.string("metric", oneOf: PositionMetric.allCases.map(\.rawValue), default: PositionMetric.attentionKL.rawValue)
        metric = PositionMetric(rawValue: metricName) ?? .attentionKL
        keepSink = try r.bool("keepSink", default: false)
        keepLocal = try r.bool("keepLocal", default: false)
        seedEpsilon = try r.seedEpsilon()
        segmentSize = try r.optionalInt("segmentSize", range: ProtocolLimits.blockSize)
        force = try r.bool("force", default: false)
    }
}
