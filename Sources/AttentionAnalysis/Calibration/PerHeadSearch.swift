/// The budget one head must meet on the calibration inputs (Protocol/README.md §10 `calibrate`).
public enum HeadBudget: Equatable, Sendable {
    /// The head's `attentionKL` (mean over its rows of −ln m(q), nats) at most this.
    case maxAttentionKL(Double)
    /// The head's `recall` (mean over its rows of m(q)) at least this.
    case minRecall(Double)

    /// `stats` meet the budget.
    public func admits(_ stats: HeadCandidateStats) -> Bool {
        switch self {
        case let .maxAttentionKL(budget): return stats.attentionKL <= budget
        case let .minRecall(floor): return stats.recall >= floor
        }
    }
}

/// Why a head stays dense.
public enum DenseReason: String, Codable, Sendable {
    /// No candidate value meets the head's budget.
    case budgetNotMet
    /// The best candidate within budget would skip less than `denseBelowSparsity` of the work.
    case tooLittleSparsity
    /// The global allocation (`maxOutputKL`) spent nothing on this head.
    case notAllocated
}

/// What the calibration chose for one head: a candidate (index into the candidate values) or dense.
public struct HeadChoice: Equatable, Sendable {
    /// Index into the candidate values; nil when the head stays dense.
    public var candidate: Int?
    /// Why the head stays dense; nil when it has a candidate.
    public var denseReason: DenseReason?

    public static func dense(_ reason: DenseReason) -> HeadChoice { HeadChoice(candidate: nil, denseReason: reason) }
    public static func value(_ candidate: Int) -> HeadChoice { HeadChoice(candidate: candidate, denseReason: nil) }
}

/// Per-head search to a per-head budget (`maxAttentionKL`, `minRecall`): each head independently.
/// Pure functions; any thread.
public enum PerHeadSearch {
    /// The candidate that skips the most work (largest `sparsity`; ties: larger recall, then the
    /// earlier candidate) among those within `budget`; dense when none is within budget
    /// (`budgetNotMet`), or when that candidate skips less than `denseBelowSparsity`
    /// (`tooLittleSparsity`).
    /// - Parameter stats: the head's statistics per candidate, in candidate order.
    public static func choose(_ stats: [HeadCandidateStats], budget: HeadBudget, denseBelowSparsity: Double) -> HeadChoice {
        var best: Int?
        for (c, s) in stats.enumerated() where budget.admits(s) {
            guard let b = best else { best = c; continue }
            if s.sparsity > stats[b].sparsity || (s.sparsity == stats[b].sparsity && s.recall > stats[b].recall) { best = c }
        }
        guard let chosen = best else { return .dense(.budgetNotMet) }
        return stats[chosen].sparsity < denseBelowSparsity ? .dense(.tooLittleSparsity) : .value(chosen)
    }
}
