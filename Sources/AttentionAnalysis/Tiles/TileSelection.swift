import Kernels

/// How the tiles of one query block are chosen from their scores (Protocol/README.md §11, tiles).
/// Applied per query block `i` over its visible key blocks `0..<visibleKeyBlocks(i)`.
public enum TileSelection: Hashable, Sendable {
    /// Keep tile `(i, j)` when its score ≥ τ, τ in (0, 1] (scores on the probability scale).
    case threshold(Double)
    /// Keep the fewest tiles, by descending score (ties: lower key block first), whose summed
    /// score reaches τ of the query block's total (summed in that order); τ in (0, 1].
    case coverage(Double)
    /// Keep the `k ≥ 1` tiles with the largest score (same tie rule); all when fewer.
    case topK(Int)
    /// Keep tile `(i, j)` when its score ≥ `c / n_i`, `n_i` the number of keys visible to query
    /// block i's **last** query (`min((i+1)·Bq, T)`), c in (0, 1024]: `threshold` with the cut of
    /// that row. The last query sees the most keys, so its cut is the block's smallest: a tile
    /// scored by its largest entry (the oracle, `quest`) is kept whenever any of its rows would
    /// keep it under its own cut `c/(q+1)`. With Bq = 1 it is the per-row rule.
    case relativeThreshold(Double)
    /// `streaming` only: a local window of `w ≥ 1` tokens (key `k` kept for query `q` when
    /// `q − k < w`).
    case window(Int)

    /// Throws `AnalysisError.invalidValue` naming `field` when the value is out of range.
    public func validate(field: String) throws {
        switch self {
        case let .threshold(tau), let .coverage(tau):
            guard tau > 0, tau <= 1 else {
                throw AnalysisError.invalidValue(field: field, value: tau, accepted: "a number in (0, 1]")
            }
        case let .relativeThreshold(c):
            guard RelativeThresholdRange.contains(c) else {
                throw AnalysisError.invalidValue(field: field, value: c, accepted: RelativeThresholdRange.accepted)
            }
        case let .topK(k):
            guard k >= 1 else { throw AnalysisError.invalidValue(field: field, value: Double(k), accepted: "an integer k ≥ 1 (topK)") }
        case let .window(w):
            guard w >= 1 else {
                throw AnalysisError.invalidValue(field: field, value: Double(w), accepted: "an integer ≥ 1 (window, tokens)")
            }
        }
    }

    /// The rule for scores of rows that see `visibleKeys` keys: `.threshold(c / visibleKeys)` for
    /// `.relativeThreshold(c)`, itself for every other selection.
    public func resolved(visibleKeys: Int) -> TileSelection {
        if case let .relativeThreshold(c) = self {
            return .threshold(SelectionRule.relativeCut(c, visibleKeys: visibleKeys))
        }
        return self
    }

    /// The tile scores are largest entries under this rule (the thresholds), masses otherwise.
    var comparesMaxima: Bool {
        switch self {
        case .threshold, .relativeThreshold: return true
        case .coverage, .topK, .window: return false
        }
    }

    /// Indices `0..<scores.count` this selection keeps from one query block's scores, ascending.
    /// - Precondition: not `.window` (a pattern, not a rule on scores), and `relativeThreshold`
    ///   already `resolved` to the block's cut.
    func kept(_ scores: ArraySlice<Double>) -> [Int] {
        let base = scores.startIndex, n = scores.count
        switch self {
        case let .threshold(tau):
            return (0..<n).filter { scores[base + $0] >= tau }
        case .relativeThreshold:
            preconditionFailure("resolve relativeThreshold to the query block's cut first (resolved(visibleKeys:))")
        case let .coverage(tau):
            let order = descending(scores)
            let total = order.reduce(0.0) { $0 + scores[base + $1] }
            var running = 0.0, count = 0
            while count < n && running < tau * total {
                running += scores[base + order[count]]
                count += 1
            }
            return order.prefix(count).sorted()
        case let .topK(k):
            return descending(scores).prefix(k).sorted()
        case .window:
            preconditionFailure("window is the streaming pattern, not a rule on scores")
        }
    }

    /// Indices by descending score, ties lower index first.
    private func descending(_ scores: ArraySlice<Double>) -> [Int] {
        let base = scores.startIndex
        return (0..<scores.count).sorted { a, b in
            let sa = scores[base + a], sb = scores[base + b]
            return sa > sb || (sa == sb && a < b)
        }
    }
}

/// Per-tile scores of one head: (Nq, Nk), only visible tiles `(i, j < visibleKeyBlocks(i))`
/// meaningful (the others stay 0 and are never selected). Value type, one thread at a time.
public struct TileScores: Sendable {
    public let geometry: TileGeometry
    /// (Nq, Nk) row-major.
    public var values: [Double]

    /// All zero.
    public init(geometry: TileGeometry) {
        self.geometry = geometry
        values = [Double](repeating: 0, count: geometry.queryBlocks * geometry.keyBlocks)
    }

    public subscript(i: Int, j: Int) -> Double {
        get { values[i * geometry.keyBlocks + j] }
        set { values[i * geometry.keyBlocks + j] = newValue }
    }

    /// The tiles `selection` keeps in every query block, plus the diagonal tiles when
    /// `keepDiagonal` and tile `(i, 0)` when `keepSink`. `relativeThreshold` is applied per query
    /// block with the cut of its last query (`TileSelection.relativeThreshold`).
    public func mask(_ selection: TileSelection, keepDiagonal: Bool, keepSink: Bool = false) -> TileMask {
        var mask = TileMask(geometry: geometry)
        let nk = geometry.keyBlocks
        for i in 0..<geometry.queryBlocks {
            let visible = geometry.visibleKeyBlocks(queryBlock: i)
            let rule = selection.resolved(visibleKeys: geometry.queries(ofBlock: i).upperBound)
            for j in rule.kept(values[(i * nk)..<(i * nk + visible)]) { mask.keep(queryBlock: i, keyBlock: j) }
            if keepDiagonal { mask.keepDiagonal(queryBlock: i) }
            if keepSink { mask.keep(queryBlock: i, keyBlock: 0) }
        }
        return mask
    }
}

extension TileGeometry {
    /// The tiles of query block `i` the causal diagonal passes through: key blocks from the one
    /// holding its first query to the one holding its last. Keeping them gives every row `q` of
    /// the block the key block holding `q` (so no row falls back to dense).
    public func diagonalKeyBlocks(queryBlock i: Int) -> ClosedRange<Int> {
        let rows = queries(ofBlock: i)
        return keyBlock(of: rows.lowerBound)...keyBlock(of: rows.upperBound - 1)
    }
}

extension TileMask {
    /// Keeps the diagonal tiles of query block `i` (`TileGeometry.diagonalKeyBlocks`).
    public mutating func keepDiagonal(queryBlock i: Int) {
        for j in geometry.diagonalKeyBlocks(queryBlock: i) { keep(queryBlock: i, keyBlock: j) }
    }
}
