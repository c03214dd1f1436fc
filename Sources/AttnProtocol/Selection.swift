/// The `selection` param: which key blocks a query row keeps (§11). The wire names of
/// `AttentionAnalysis.SelectionRule`.
public enum Selection: String, Codable, CaseIterable, Sendable {
    case threshold, coverage, topK

    /// The default rule values of `pruneSweep.thresholds` for this rule (§10).
    public var defaultSweepValues: [Double] {
        switch self {
        case .threshold: return [0.01, 0.005, 0.002, 0.001, 0.0005]
        case .coverage: return [0.9, 0.95, 0.99, 0.999]
        case .topK: return [1, 2, 4, 8]
        }
    }

    /// The default `perPositionKL.threshold` for this rule (§10).
    public var defaultPointValue: Double {
        switch self {
        case .threshold: return 0.002
        case .coverage: return 0.99
        case .topK: return 4
        }
    }
}

/// The `metric` param of `perPositionKL`.
public enum PositionMetric: String, Codable, CaseIterable, Sendable {
    case attentionKL, seedKL, prunedMass
}
