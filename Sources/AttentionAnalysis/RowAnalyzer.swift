import Foundation

/// The sweep points grouped by block size, and the key-piece width they share.
struct SweepPlan {
    struct Group {
        let blockSize: Int
        /// `blockSize / pieceWidth`.
        let factor: Int
        let pointIndices: [Int]
        /// Some point in the group is coverage or topK (needs blocks ranked by mass).
        let needsRanking: Bool
    }

    let points: [PointPlan]
    let groups: [Group]
    /// `gcd` of the block sizes: the row is read once at this width, blocks are combined from it.
    let pieceWidth: Int
    let tokens: Int
    /// The `seedKL` clamp and its log.
    let eps: Double
    let lnEps: Double

    init(points: [SweepSetting], tokens: Int, seedEpsilon: Double) throws {
        guard !points.isEmpty else { throw AnalysisError.emptyList(field: "points") }
        for (i, p) in points.enumerated() { try p.validate(field: "points[\(i)]") }
        try validateSeedEpsilon(seedEpsilon)
        self.points = points.map(PointPlan.init)
        self.tokens = tokens
        eps = seedEpsilon
        lnEps = log(seedEpsilon)
        var width = 0
        var sizes: [Int] = []
        for p in points where !sizes.contains(p.blockSize) {
            sizes.append(p.blockSize)
            width = greatestCommonDivisor(width, p.blockSize)
        }
        pieceWidth = width
        groups = sizes.map { b in
            let members = points.indices.filter { points[$0].blockSize == b }
            return Group(blockSize: b, factor: b / width, pointIndices: members,
                         needsRanking: members.contains { points[$0].selection.ranksBlocks })
        }
    }
}

func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
    var (x, y) = (a, b)
    while y != 0 { (x, y) = (y, x % y) }
    return x
}

/// Evaluates every sweep point on one attention row at a time.
///
/// Per row: one pass over the visible keys at the shared piece width (block max, Float64
/// block sums, the `seedKL` block terms), block statistics per block size combined from the
/// pieces, then each point evaluated on block-level data. Entries close to `eps` in kept
/// blocks get the exact `seedKL` correction (`correctSeedBand`).
/// - Important: not thread-safe; each worker thread owns one analyzer.
final class RowAnalyzer {
    let plan: SweepPlan
    private let pieces: BlockRowStats
    private let groupStats: [BlockRowStats]
    /// One outcome per point for the last analysed row.
    let outcomes: UnsafeMutablePointer<RowOutcome>
    private let bandKeys: UnsafeMutablePointer<Int>
    private let bandValues: UnsafeMutablePointer<Double>

    init(plan: SweepPlan) {
        self.plan = plan
        pieces = BlockRowStats(capacity: (plan.tokens + plan.pieceWidth - 1) / plan.pieceWidth, rowCapacity: plan.tokens)
        groupStats = plan.groups.map {
            BlockRowStats(capacity: (plan.tokens + $0.blockSize - 1) / $0.blockSize, rowCapacity: plan.tokens)
        }
        outcomes = .allocate(capacity: plan.points.count)
        outcomes.initialize(repeating: RowOutcome(), count: plan.points.count)
        bandKeys = .allocate(capacity: plan.tokens)
        bandValues = .allocate(capacity: plan.tokens)
    }

    deinit {
        outcomes.deinitialize(count: plan.points.count)
        outcomes.deallocate()
        bandKeys.deallocate()
        bandValues.deallocate()
    }

    /// Analyses row `q` (its `T` floats start at `row`; keys `0...q` are read) for every point.
    func analyze(row: UnsafePointer<Float>, query q: Int) {
        let n = q + 1
        let eps = plan.eps
        let lowCut = 2 * eps
        let low = pieces.fill(row: row, visibleKeys: n, width: plan.pieceWidth, eps: eps,
                              lnEps: plan.lnEps, lowCut: lowCut)
        for (g, group) in plan.groups.enumerated() {
            let stats = groupStats[g]
            stats.combine(pieces, factor: group.factor)
            if group.needsRanking { stats.rankByMass() }
            for i in group.pointIndices { outcomes[i] = plan.points[i].evaluate(stats, visibleKeys: n, eps: eps) }
        }
        finishLogarithms()
        // Kept masses near or above 2 happen only for rows that are not probability rows; the
        // band can then reach past 2·eps, so scan anyway.
        if low || pieces.rowMass >= 1.5 { correctSeedBand(row: row, visibleKeys: n) }
        for i in 0..<plan.points.count where outcomes[i].seedKL < 0 { outcomes[i].seedKL = 0 }
    }

    /// `attentionKL = −ln(1 − prunedMass)` and the `seedKL` term `ln(max(Z_kept, eps)) · seedKeptAbove`
    /// for every point, eight points per vector logarithm.
    private func finishLogarithms() {
        let count = plan.points.count
        let eps = plan.eps
        var start = 0
        while start < count {
            let lanes = min(8, count - start)
            var pruned = SIMD8<Double>(repeating: 0)
            var kept = SIMD8<Double>(repeating: 1)
            for i in 0..<lanes {
                let o = outcomes[start + i]
                pruned[i] = o.prunedMass
                if !o.seedAllPruned { kept[i] = max(o.seedKeptMass, eps) }
            }
            let kl = -vectorLog1p(-pruned)
            let lnKept = vectorLog(kept)
            for i in 0..<lanes {
                outcomes[start + i].attentionKL = kl[i]
                outcomes[start + i].seedKL += lnKept[i] * outcomes[start + i].seedKeptAbove
            }
            start += 8
        }
    }

    /// Exact `seedKL` for kept-block entries `A` between `c·eps` and `eps` (`c = max(Z_kept, eps)`):
    /// there `Q = A/c` and the clamps `max(·, eps)` act on one side only.
    ///
    /// - `c ≤ 1`, `c·eps ≤ A < eps`: `P' = eps`, `Q' = A/c`: the term is `eps (ln eps + ln c − ln A)`,
    ///   the block terms counted nothing.
    /// - `c > 1`, `eps ≤ A < c·eps`: `P' = A`, `Q' = eps`: the term is `A (ln A − ln eps)`,
    ///   the block terms counted `A ln c`.
    /// Only rows holding an entry in `(0, 2·eps)` (or with mass ≥ 2) get here.
    private func correctSeedBand(row: UnsafePointer<Float>, visibleKeys n: Int) {
        let eps = plan.eps
        var cLow = Double.infinity, cHigh = 0.0
        for i in 0..<plan.points.count where !outcomes[i].seedAllPruned {
            let c = max(outcomes[i].seedKeptMass, eps)
            cLow = min(cLow, c)
            cHigh = max(cHigh, c)
        }
        guard cLow <= cHigh else { return }
        // Widened by 1e-9 so rounding in `a / c` cannot drop an entry that needs correcting.
        let lower = eps * min(cLow, 1) * (1 - 1e-9), upper = eps * max(cHigh, 1) * (1 + 1e-9)
        var count = 0
        for k in 0..<n {
            let a = Double(row[k])
            if a > 0 && a >= lower && a < upper {
                bandKeys[count] = k
                bandValues[count] = a
                count += 1
            }
        }
        guard count > 0 else { return }
        for (g, group) in plan.groups.enumerated() {
            let stats = groupStats[g]
            for i in group.pointIndices where !outcomes[i].seedAllPruned {
                let point = plan.points[i]
                let c = max(outcomes[i].seedKeptMass, eps)
                let lnC = log(c)
                var add = 0.0
                for e in 0..<count {
                    let a = bandValues[e]
                    guard point.seedKeeps(block: bandKeys[e] / group.blockSize, stats: stats, outcome: outcomes[i],
                                           visibleKeys: n)
                    else { continue }
                    // The element's true term minus what the block terms already counted.
                    let p = max(a, eps), q = max(a / c, eps)
                    add += p * (log(p) - log(q)) - (a >= eps ? a * lnC : 0)
                }
                outcomes[i].seedKL += add
            }
        }
    }
}
