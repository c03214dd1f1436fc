import GRDB

/// The columns of one row of table `sweep_point`: a `pruneSweep` point's whole-model metrics
/// (the protocol's `SweepPoint` without its per-layer breakdown), flattened for queries.
/// Metrics are optional because SQLite stores NaN as NULL; the end-to-end metrics are nil when
/// the sweep ran without `endToEnd`. Units as in the protocol: fractions in [0, 1], KL in nats.
public struct SweepPointRow: Codable, Equatable, Sendable {
    /// `threshold`, `coverage` or `topK`.
    public var selection: String
    /// Block size, tokens.
    public var blockSize: Int
    /// The selection parameter (a probability, a coverage, or k for `topK`).
    public var threshold: Double
    public var prunedBlockFraction: Double?
    public var seedPrunedFraction: Double?
    public var prunedMass: Double?
    /// Nats.
    public var attentionKL: Double?
    /// Nats.
    public var seedKL: Double?
    public var fullyPrunedRows: Int
    /// Nats; nil without `endToEnd`.
    public var outputKL: Double?
    public var top1Agreement: Double?
    /// Nats per token.
    public var nllFull: Double?
    /// Nats per token.
    public var nllPruned: Double?

    public init(selection: String, blockSize: Int, threshold: Double,
                prunedBlockFraction: Double?, seedPrunedFraction: Double?, prunedMass: Double?,
                attentionKL: Double?, seedKL: Double?, fullyPrunedRows: Int,
                outputKL: Double? = nil, top1Agreement: Double? = nil, nllFull: Double? = nil, nllPruned: Double? = nil) {
        self.selection = selection
        self.blockSize = blockSize
        self.threshold = threshold
        self.prunedBlockFraction = prunedBlockFraction
        self.seedPrunedFraction = seedPrunedFraction
        self.prunedMass = prunedMass
        self.attentionKL = attentionKL
        self.seedKL = seedKL
        self.fullyPrunedRows = fullyPrunedRows
        self.outputKL = outputKL
        self.top1Agreement = top1Agreement
        self.nllFull = nllFull
        self.nllPruned = nllPruned
    }

    /// Column names in table `sweep_point`.
    enum CodingKeys: String, CodingKey {
        case selection
        case blockSize = "block_size"
        case threshold
        case prunedBlockFraction = "pruned_block_fraction"
        case seedPrunedFraction = "seed_pruned_fraction"
        case prunedMass = "pruned_mass"
        case attentionKL = "attention_kl"
        case seedKL = "seed_kl"
        case fullyPrunedRows = "fully_pruned_rows"
        case outputKL = "output_kl"
        case top1Agreement = "top1_agreement"
        case nllFull = "nll_full"
        case nllPruned = "nll_pruned"
    }
}

/// A stored sweep point: the run it belongs to, its position in the run's `points`, and the
/// point's columns (flattened). Table `sweep_point`; deleted with its run.
public struct SweepPointRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "sweep_point"

    public var id: Int64?
    public var runID: String
    /// 0-based index in the run's `points`.
    public var ordinal: Int
    public var point: SweepPointRow

    public init(id: Int64? = nil, runID: String, ordinal: Int, point: SweepPointRow) {
        self.id = id
        self.runID = runID
        self.ordinal = ordinal
        self.point = point
    }

    enum CodingKeys: String, CodingKey {
        case id
        case runID = "run_id"
        case ordinal
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int64.self, forKey: .id)
        runID = try container.decode(String.self, forKey: .runID)
        ordinal = try container.decode(Int.self, forKey: .ordinal)
        point = try SweepPointRow(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encode(runID, forKey: .runID)
        try container.encode(ordinal, forKey: .ordinal)
        try point.encode(to: encoder)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let runID = Column(CodingKeys.runID)
        public static let ordinal = Column(CodingKeys.ordinal)
        public static let selection = Column(SweepPointRow.CodingKeys.selection)
        public static let blockSize = Column(SweepPointRow.CodingKeys.blockSize)
        public static let threshold = Column(SweepPointRow.CodingKeys.threshold)
        public static let prunedBlockFraction = Column(SweepPointRow.CodingKeys.prunedBlockFraction)
        public static let seedPrunedFraction = Column(SweepPointRow.CodingKeys.seedPrunedFraction)
        public static let prunedMass = Column(SweepPointRow.CodingKeys.prunedMass)
        public static let attentionKL = Column(SweepPointRow.CodingKeys.attentionKL)
        public static let seedKL = Column(SweepPointRow.CodingKeys.seedKL)
        public static let fullyPrunedRows = Column(SweepPointRow.CodingKeys.fullyPrunedRows)
        public static let outputKL = Column(SweepPointRow.CodingKeys.outputKL)
        public static let top1Agreement = Column(SweepPointRow.CodingKeys.top1Agreement)
        public static let nllFull = Column(SweepPointRow.CodingKeys.nllFull)
        public static let nllPruned = Column(SweepPointRow.CodingKeys.nllPruned)
    }
}

extension SweepPointRecord {
    /// The points of one run, in their original order.
    static func of(runID: String) -> QueryInterfaceRequest<SweepPointRecord> {
        filter(Columns.runID == runID).order(Columns.ordinal)
    }
}
