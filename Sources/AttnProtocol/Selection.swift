import JSONRPC

/// The `selection` param: which key blocks a query row keeps (§11). The wire names of
/// `AttentionAnalysis.SelectionRule`, plus `window`, the rule of `estimator: "streaming"` only.
public enum Selection: String, Codable, CaseIterable, Sendable {
    case threshold, coverage, topK
    /// `threshold` with the cut `c / (visible keys of the row)` (§11); the value is c in (0, 1024].
    case relativeThreshold
    /// `pruneSweep` with `estimator: "streaming"` only: the values are local windows in tokens.
    case window

    /// The rules on scores: every selection but `window` (the choices of `perPositionKL` and of
    /// every estimator but `streaming`).
    public static let scoreRules: [Selection] = [.threshold, .coverage, .topK, .relativeThreshold]

    /// The values are integers (k for topK, window sizes in tokens for window).
    public var takesIntegers: Bool { self == .topK || self == .window }

    /// The accepted range of a non-integer rule value: (0, 1] for threshold and coverage,
    /// (0, 1024] for relativeThreshold. - Precondition: not `takesIntegers`.
    public var valueInterval: NumberInterval {
        self == .relativeThreshold ? ProtocolLimits.relativeThreshold : ProtocolLimits.probability
    }

    /// The default rule values of `pruneSweep.thresholds` for this rule (§10).
    public var defaultSweepValues: [Double] {
        switch self {
        case .threshold: return [0.01, 0.005, 0.002, 0.001, 0.0005]
        case .coverage: return [0.9, 0.95, 0.99, 0.999]
        case .topK: return [1, 2, 4, 8]
        case .relativeThreshold: return [2, 1, 0.5, 0.25, 0.125]
        case .window: return [16, 64, 256]
        }
    }

    /// The default `perPositionKL.threshold` for this rule (§10).
    public var defaultPointValue: Double {
        switch self {
        case .threshold: return 0.002
        case .coverage: return 0.99
        case .topK: return 4
        case .relativeThreshold: return 0.5
        case .window: return 64
        }
    }
}

/// The `estimator` param of `pruneSweep`: how the kept tiles are decided (§11, tiles and
/// estimators). `oracle` decides from the exact attention; the others read only Q and K.
public enum Estimator: String, Codable, CaseIterable, Sendable {
    case oracle, meanPool, antidiagonal, lastQueries, quest, streaming
}

/// The `metric` param of `perPositionKL`.
public enum PositionMetric: String, Codable, CaseIterable, Sendable {
    case attentionKL, seedKL, prunedMass
}
