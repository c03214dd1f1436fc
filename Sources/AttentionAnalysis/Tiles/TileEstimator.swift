import Foundation
import Kernels

/// A cheap estimate of which tiles matter, computed from one head's Q and K only — never from
/// the attention it is meant to avoid (Protocol/README.md §11, estimators). Every estimator keeps
/// the diagonal tiles (`TileGeometry.diagonalKeyBlocks`); rows still left with no kept visible
/// key fall back to dense (`TileMask`).
public enum TileEstimator: Hashable, Sendable {
    /// Softmax over visible key blocks of (mean query of the tile) · (mean key of the block) / √D.
    case meanPool
    /// XAttention's strided antidiagonal sums (`stride` S ≥ 1 dividing both block sizes).
    case antidiagonal(stride: Int)
    /// MInference's vertical-slash estimate from the exact attention rows of the last `count`
    /// queries (computed here from Q and K).
    case lastQueries(count: Int)
    /// Quest's bound: per key block the channel-wise min and max of K.
    case quest
    /// StreamingLLM's fixed pattern: the first `sinkTokens` keys plus a local window
    /// (`TileSelection.window`).
    case streaming(sinkTokens: Int)

    /// The kept tiles of one head and what choosing them cost.
    ///
    /// - Parameters:
    ///   - qk: Q and K (T, D) of the head; `T` must equal `geometry.tokens`.
    ///   - selection: the rule on the estimator's tile scores (`.window` for `streaming` only).
    /// - Throws: `AnalysisError.invalidValue` naming the parameter and its accepted range.
    /// Pure function of its inputs; safe to call for different heads on different threads.
    public func estimate(_ qk: HeadQueriesKeys, geometry: TileGeometry, selection: TileSelection) throws -> TileEstimate {
        precondition(qk.tokens == geometry.tokens, "Q/K have \(qk.tokens) tokens, geometry \(geometry.tokens)")
        try validate(geometry: geometry, selection: selection)
        switch self {
        case .meanPool:
            let (scores, cost) = MeanPoolEstimator.scores(qk, geometry: geometry)
            return TileEstimate(mask: scores.mask(selection, keepDiagonal: true), multiplyAdds: cost)
        case let .antidiagonal(stride):
            let (scores, cost) = AntidiagonalEstimator.scores(qk, geometry: geometry, stride: stride)
            return TileEstimate(mask: scores.mask(selection, keepDiagonal: true), multiplyAdds: cost)
        case let .lastQueries(count):
            return LastQueriesEstimator.estimate(qk, geometry: geometry, lastQueries: count, selection: selection)
        case .quest:
            let (scores, cost) = QuestEstimator.scores(qk, geometry: geometry)
            return TileEstimate(mask: scores.mask(selection, keepDiagonal: true), multiplyAdds: cost)
        case let .streaming(sinkTokens):
            guard case let .window(w) = selection else { preconditionFailure("validated") }
            return TileEstimate(mask: StreamingPattern.mask(geometry: geometry, sinkTokens: sinkTokens, window: w),
                                multiplyAdds: 0)
        }
    }

    /// `estimate` for several selections on the same head and geometry (a sweep's rule values):
    /// the estimator's tile scores are computed once and each selection applied to them, so
    /// the result equals calling `estimate` per selection; each estimate reports the full cost
    /// (what a kernel choosing that setting alone would pay).
    /// - Throws: as `estimate`, for the first selection out of range.
    public func estimate(_ qk: HeadQueriesKeys, geometry: TileGeometry, selections: [TileSelection]) throws -> [TileEstimate] {
        precondition(qk.tokens == geometry.tokens, "Q/K have \(qk.tokens) tokens, geometry \(geometry.tokens)")
        for selection in selections { try validate(geometry: geometry, selection: selection) }
        let shared: (TileScores, Int)?
        switch self {
        case .meanPool: shared = MeanPoolEstimator.scores(qk, geometry: geometry)
        case let .antidiagonal(stride): shared = AntidiagonalEstimator.scores(qk, geometry: geometry, stride: stride)
        case .quest: shared = QuestEstimator.scores(qk, geometry: geometry)
        case .lastQueries, .streaming: shared = nil
        }
        guard let (scores, cost) = shared else {
            return try selections.map { try estimate(qk, geometry: geometry, selection: $0) }
        }
        return selections.map { TileEstimate(mask: scores.mask($0, keepDiagonal: true), multiplyAdds: cost) }
    }

    private func validate(geometry g: TileGeometry, selection: TileSelection) throws {
        try selection.validate(field: "threshold")
        switch (self, selection) {
        case (.streaming, .window): break
        case (.streaming, _):
            throw AnalysisError.invalidValue(field: "selection", value: 0, accepted: "window (streaming's only selection)")
        case (_, .window):
            throw AnalysisError.invalidValue(field: "selection", value: 0,
                                             accepted: "threshold, relativeThreshold, coverage or topK (window is streaming's)")
        default: break
        }
        switch self {
        case let .antidiagonal(stride):
            guard stride >= 1, g.queryBlockSize % stride == 0, g.keyBlockSize % stride == 0 else {
                throw AnalysisError.invalidValue(field: "stride", value: Double(stride),
                                                 accepted: "an integer ≥ 1 dividing queryBlockSize \(g.queryBlockSize) and keyBlockSize \(g.keyBlockSize)")
            }
        case let .lastQueries(count):
            guard count >= 1 else {
                throw AnalysisError.invalidValue(field: "lastQueries", value: Double(count), accepted: "an integer ≥ 1 (queries)")
            }
        case let .streaming(sinkTokens):
            guard sinkTokens >= 0 else {
                throw AnalysisError.invalidValue(field: "sinkTokens", value: Double(sinkTokens), accepted: "an integer ≥ 0 (tokens)")
            }
        case .meanPool, .quest: break
        }
    }
}

/// What an estimator chose for one head.
public struct TileEstimate: Hashable, Sendable {
    /// The kept tiles (diagonal tiles always among them).
    public var mask: TileMask
    /// Multiply-adds the estimate cost (`estimatorMultiplyAdds`, §11): dot-product terms and
    /// pooling sums; comparisons, exponentials and sorting are not counted.
    public var multiplyAdds: Int
}

/// Softmax of `logits` in place (Float64, max-shifted).
func softmaxInPlace(_ logits: inout ArraySlice<Double>) {
    guard let top = logits.max() else { return }
    var total = 0.0
    for i in logits.indices {
        logits[i] = exp(logits[i] - top)
        total += logits[i]
    }
    for i in logits.indices { logits[i] /= total }
}
