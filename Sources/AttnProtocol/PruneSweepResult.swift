/// What the pruned forward pass changed at the output (`endToEnd: true`).
public struct EndToEnd: Codable, Equatable, Sendable {
    /// Mean KL(softmax(z_full) ‖ softmax(z_pruned)) over positions, nats.
    public var outputKL: Double
    /// Share of positions with the same argmax.
    public var top1Agreement: Double
    /// Mean next-token NLL, nats; null when T = 1.
    public var nllFull: Double?
    public var nllPruned: Double?
    public var perplexityFull: Double?
    public var perplexityPruned: Double?
    /// Tile points only: wall time of the dense pass's attention kernels (QKᵀ, softmax, P·V)
    /// summed over layers, seconds; absent on the per-row path.
    public var attentionSecondsFull: Double?
    /// Tile points only: the same for the pruned pass (block-sparse for estimators; for the
    /// oracle the dense attention formed first, then masked), seconds.
    public var attentionSecondsPruned: Double?
    /// Tile points only: true when the pruned pass formed the dense attention before masking it
    /// (the oracle must), false when it computed kept tiles only (block-sparse, every estimator).
    public var denseAttentionFormed: Bool?

    public init(outputKL: Double, top1Agreement: Double, nllFull: Double?, nllPruned: Double?,
                perplexityFull: Double?, perplexityPruned: Double?,
                attentionSecondsFull: Double? = nil, attentionSecondsPruned: Double? = nil, denseAttentionFormed: Bool? = nil) {
        self.outputKL = outputKL
        self.top1Agreement = top1Agreement
        self.nllFull = nllFull
        self.nllPruned = nllPruned
        self.perplexityFull = perplexityFull
        self.perplexityPruned = perplexityPruned
        self.attentionSecondsFull = attentionSecondsFull
        self.attentionSecondsPruned = attentionSecondsPruned
        self.denseAttentionFormed = denseAttentionFormed
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(outputKL, forKey: .outputKL)
        try c.encode(top1Agreement, forKey: .top1Agreement)
        try c.encode(nllFull, forKey: .nllFull)
        try c.encode(nllPruned, forKey: .nllPruned)
        try c.encode(perplexityFull, forKey: .perplexityFull)
        try c.encode(perplexityPruned, forKey: .perplexityPruned)
        try c.encodeIfPresent(attentionSecondsFull, forKey: .attentionSecondsFull)
        try c.encodeIfPresent(attentionSecondsPruned, forKey: .attentionSecondsPruned)
        try c.encodeIfPresent(denseAttentionFormed, forKey: .denseAttentionFormed)
    }
}

/// One layer of a sweep point: means over heads and queries.
public struct SweepLayer: Codable, Equatable, Sendable {
    public var layer: Int
    public var prunedBlockFraction: Double
    public var prunedMass: Double
    /// nats
    public var attentionKL: Double
    /// nats
    public var seedKL: Double
    public var fullyPrunedRows: Int
}

/// One (block size, rule value) point of a `pruneSweep` (§10, metrics in §11). The one sweep
/// point type: the daemon answers with it, the history stores its columns, the CLI and the
/// report read it.
public struct SweepPoint: Codable, Equatable, Sendable {
    public var selection: Selection
    /// Tokens.
    public var blockSize: Int
    /// τ, or k for topK.
    public var threshold: Double
    public var prunedBlockFraction: Double
    public var seedPrunedFraction: Double
    public var prunedMass: Double
    /// nats
    public var attentionKL: Double
    /// nats (mostly ε, §11)
    public var seedKL: Double
    public var fullyPrunedRows: Int
    /// Per layer; absent in stored summaries of points.
    public var layers: [SweepLayer]?
    public var endToEnd: EndToEnd?
    // The tile fields (§11, tile metrics): present on tile points (`queryBlockSize` > 1 or an
    // `estimator` other than `oracle`), absent on the per-row path.
    /// Kept visible tiles / visible tiles.
    public var tileDensity: Double?
    /// Multiply-adds of QKᵀ and P·V over kept tiles (whole) and fallback rows / dense causal
    /// attention's; above 1 when nearly every tile is kept.
    public var computedFraction: Double?
    /// Mean over (l, h, q) rows of the kept exact mass m(q).
    public var recall: Double?
    /// 5th percentile (nearest rank) of m(q) over the rows.
    public var recallP5: Double?
    /// The estimator's own multiply-adds, summed over layers and heads (0 for oracle, streaming).
    public var estimatorMultiplyAdds: Int?
    /// True on the point of a `perHead` sweep: the values are per head (`threshold` is 0).
    public var perHead: Bool?

    public init(selection: Selection, blockSize: Int, threshold: Double, prunedBlockFraction: Double,
                seedPrunedFraction: Double, prunedMass: Double, attentionKL: Double, seedKL: Double,
                fullyPrunedRows: Int, layers: [SweepLayer]? = nil, endToEnd: EndToEnd? = nil) {
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

public struct EndToEndStat: Codable, Equatable, Sendable {
    public var outputKL: Stat
    public var top1Agreement: Stat
    public var nllFull: Stat?
    public var nllPruned: Stat?
    public var perplexityFull: Stat?
    public var perplexityPruned: Stat?
}

/// A sweep point across texts: every metric a Stat.
public struct SweepPointStat: Codable, Equatable, Sendable {
    public var selection: Selection
    public var blockSize: Int
    public var threshold: Double
    public var prunedBlockFraction: Stat
    public var seedPrunedFraction: Stat
    public var prunedMass: Stat
    public var attentionKL: Stat
    public var seedKL: Stat
    public var fullyPrunedRows: Stat
    public var endToEnd: EndToEndStat?
}

public struct SweepOfText: Codable, Equatable, Sendable {
    public var numTokens: Int
    public var points: [SweepPoint]

    public init(numTokens: Int, points: [SweepPoint]) {
        self.numTokens = numTokens
        self.points = points
    }
}

public struct SweepAggregate: Codable, Equatable, Sendable {
    public var points: [SweepPointStat]

    public init(points: [SweepPointStat]) { self.points = points }
}

/// The chosen point of a recommendation.
public struct RecommendedPoint: Codable, Equatable, Sendable {
    public var selection: Selection
    public var threshold: Double
    public var prunedBlockFraction: Double
    /// The budgeted metric at this point, nats.
    public var value: Double
}

/// The sparsest point within budget for one block size (§13).
public struct Recommendation: Codable, Equatable, Sendable {
    public var blockSize: Int
    /// `outputKL` or `attentionKL`.
    public var metric: String
    /// nats
    public var budget: Double
    /// null when no point qualifies.
    public var point: RecommendedPoint?
    /// null when there is a point.
    public var reason: String?

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(blockSize, forKey: .blockSize)
        try c.encode(metric, forKey: .metric)
        try c.encode(budget, forKey: .budget)
        try c.encode(point, forKey: .point)
        try c.encode(reason, forKey: .reason)
    }
}

/// `pruneSweep`'s own members: `points` for one input, `texts` + `aggregate` for `texts`.
public struct PruneSweepResult: Codable, Equatable, Sendable {
    /// Block-size major, in the order of the params.
    public var points: [SweepPoint]?
    public var texts: [SweepOfText]?
    public var aggregate: SweepAggregate?
    public var recommendation: [Recommendation]?
    /// Only with `exportMask`: where the masks were written (never stored with the run).
    public var exportedMask: ExportedMask?

    public init(points: [SweepPoint]? = nil, texts: [SweepOfText]? = nil, aggregate: SweepAggregate? = nil,
                recommendation: [Recommendation]? = nil, exportedMask: ExportedMask? = nil) {
        self.points = points
        self.texts = texts
        self.aggregate = aggregate
        self.recommendation = recommendation
        self.exportedMask = exportedMask
    }
}

/// Where `exportMask` wrote the points' `BlockMask` arrays (§10, `exportMask`).
public struct ExportedMask: Codable, Equatable, Sendable {
    /// The folder created (absolute; resolved under `--export-dir`).
    public var path: String
    /// Bq of every point.
    public var queryBlockSize: Int
    /// One per point, in the order of `points`.
    public var points: [ExportedMaskPoint]

    public init(path: String, queryBlockSize: Int, points: [ExportedMaskPoint]) {
        self.path = path
        self.queryBlockSize = queryBlockSize
        self.points = points
    }
}

/// One point's subfolder of an `ExportedMask`.
public struct ExportedMaskPoint: Codable, Equatable, Sendable {
    /// `point-000`, … (relative to `ExportedMask.path`).
    public var folder: String
    /// Bk, tokens.
    public var blockSize: Int
    /// The rule value.
    public var threshold: Double
    /// (l, h, q) rows that keep no visible key and attend densely (listed in `dense_rows.npy`).
    public var fallbackRows: Int

    public init(folder: String, blockSize: Int, threshold: Double, fallbackRows: Int) {
        self.folder = folder
        self.blockSize = blockSize
        self.threshold = threshold
        self.fallbackRows = fallbackRows
    }
}
