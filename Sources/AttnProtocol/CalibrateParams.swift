import JSONRPC

/// The accuracy budget of `calibrate` (§10): exactly one.
public enum CalibrationBudget: Equatable, Sendable {
    /// Nats per position, measured end to end (mean over inputs of the pruned pass's `outputKL`).
    case maxOutputKL(Double)
    /// Nats, per head (the head's mean −ln m(q) over the calibration rows).
    case maxAttentionKL(Double)
    /// Per head: the head's mean kept mass m(q) at least this.
    case minRecall(Double)

    /// The budget's metric name on the wire.
    public var metric: String {
        switch self {
        case .maxOutputKL: return "outputKL"
        case .maxAttentionKL: return "attentionKL"
        case .minRecall: return "recall"
        }
    }

    public var value: Double {
        switch self {
        case let .maxOutputKL(v), let .maxAttentionKL(v), let .minRecall(v): return v
        }
    }
}

/// `calibrate` params (§10): per-head rule values to an accuracy budget.
public struct CalibrateParams: MethodParams, TileRuleParams, Equatable {
    public var text: String?
    public var tokens: [Int]?
    public var texts: [String]?
    public var estimator: Estimator
    public var selection: Selection
    /// Queries per tile (Bq).
    public var queryBlockSize: Int
    /// Keys per tile (Bk), tokens.
    public var blockSize: Int
    public var stride: Int
    public var lastQueries: Int
    public var sinkTokens: Int
    public var keepSink: Bool
    public var keepLocal: Bool
    /// Exactly one budget is set.
    public var maxOutputKL: Double?
    public var maxAttentionKL: Double?
    public var minRecall: Double?
    /// A head that would skip less than this share of its work stays dense.
    public var denseBelowSparsity: Double
    /// The candidate rule values; nil: `Selection.calibrationCandidates` for the inputs.
    public var values: [Double]?
    public var force: Bool

    public static let defaultBlockSize = 32
    public static let defaultDenseBelowSparsity = 0.1
    public var input: AnalysisInput { AnalysisInput(text: text, tokens: tokens, texts: texts) }

    public init(reading r: ParamReader) throws {
        (text, tokens, texts) = try AnalysisInput.read(r, allowTexts: true).fields
        (estimator, selection) = try r.estimatorAndSelection()
        blockSize = try r.int("blockSize", default: Self.defaultBlockSize, range: ProtocolLimits.blockSize)
        (queryBlockSize, stride, lastQueries, sinkTokens) = try r.tileShape(estimator: estimator, keyBlockSizes: [blockSize])
        keepSink = try r.bool("keepSink", default: false)
        keepLocal = try r.bool("keepLocal", default: false)
        switch try r.oneOf(["maxOutputKL", "maxAttentionKL", "minRecall"]) {
        case "maxOutputKL": maxOutputKL = try r.double("maxOutputKL", in: ProtocolLimits.budget)
        case "maxAttentionKL": maxAttentionKL = try r.double("maxAttentionKL", in: ProtocolLimits.budget)
        default: minRecall = try r.double("minRecall", in: ProtocolLimits.probability)
        }
        denseBelowSparsity = try r.double("denseBelowSparsity", default: Self.defaultDenseBelowSparsity, in: .closed(0, 1))
        values = r.has("values") ? try r.ruleValues("values", selection: selection) : nil
        force = try r.bool("force", default: false)
    }

    public var budget: CalibrationBudget {
        if let v = maxOutputKL { return .maxOutputKL(v) }
        if let v = maxAttentionKL { return .maxAttentionKL(v) }
        return .minRecall(minRecall ?? 1)
    }

    /// The table of this calibration's shape with `values`.
    public func table(values: [[Double?]]) -> PerHeadTable {
        PerHeadTable(estimator: estimator, selection: selection, queryBlockSize: queryBlockSize, blockSize: blockSize,
                     stride: stride, lastQueries: lastQueries, sinkTokens: sinkTokens, keepSink: keepSink,
                     keepLocal: keepLocal, values: values)
    }
}
