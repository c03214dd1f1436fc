import AttnProtocol

/// Identifies a sweep point across texts and runs: (selection, block size, rule value).
struct PointKey: Hashable {
    var selection: Selection
    var blockSize: Int
    var threshold: String

    init(_ point: SweepPoint) {
        self.init(selection: point.selection, blockSize: point.blockSize, threshold: point.threshold)
    }

    init(selection: Selection, blockSize: Int, threshold: Double) {
        self.selection = selection
        self.blockSize = blockSize
        self.threshold = Format.ruleValue(threshold)
    }
}

/// The share of (layer, head, query) rows a sweep point kept dense because the rule would have
/// pruned every visible block (`fullyPrunedRows` / (L·H·T)). Where that share dominates, the
/// point's `prunedBlockFraction` says more about the fallback than about the rule: a larger τ
/// can then prune *less* than a smaller one.
struct DenseFallback {
    /// Above this share of rows the fallback dominates the point (flagged in tables).
    static let dominantShare = 0.5

    /// By point; for `texts`, the mean over texts of each text's share.
    let shares: [PointKey: Double]

    /// - Parameters: layers, heads: the model's `nLayer` and `nHead` (from `model/info`).
    init(_ result: PruneSweepResult, layers: Int, heads: Int) {
        let perToken = Double(layers * heads)
        var sums: [PointKey: (total: Double, texts: Int)] = [:]
        let texts: [SweepOfText] = result.texts ?? []
        for text in texts where text.numTokens > 0 {
            for point in text.points {
                let share = Double(point.fullyPrunedRows) / (perToken * Double(text.numTokens))
                let old = sums[PointKey(point)] ?? (0, 0)
                sums[PointKey(point)] = (old.total + share, old.texts + 1)
            }
        }
        shares = sums.mapValues { $0.total / Double($0.texts) }
    }

    /// One input: each point's rows over L·H·`numTokens`.
    init(points: [SweepPoint], numTokens: Int, layers: Int, heads: Int) {
        let rows = Double(layers * heads * max(numTokens, 1))
        var shares: [PointKey: Double] = [:]
        for point in points { shares[PointKey(point)] = Double(point.fullyPrunedRows) / rows }
        self.shares = shares
    }

    func share(_ point: SweepPoint) -> Double? { shares[PointKey(point)] }

    func dominates(_ point: SweepPoint) -> Bool { (share(point) ?? 0) > Self.dominantShare }
}
