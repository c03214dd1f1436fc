import Foundation

/// What one sweep point did to one query row (one layer, head and query).
struct RowOutcome {
    /// Visible blocks really pruned (rule, keep policy, dense fallback).
    var prunedBlocks = 0
    /// Visible blocks the pure rule prunes (no keep policy, no fallback): `seedPrunedFraction`.
    var seedPrunedBlocks = 0
    /// `1 − m(q)`, 0 when nothing is pruned.
    var prunedMass = 0.0
    /// `−ln m(q)` in nats.
    var attentionKL = 0.0
    /// The notebook's clamped KL in nats (clamped at 0 by `RowAnalyzer` after the band correction).
    var seedKL = 0.0
    /// The row fell back to dense (every visible block would have been pruned).
    var fullyPruned = false
    /// Pure rule: Σ mass of kept blocks (`Z` of `Q = P / max(Z, eps)`).
    var seedKeptMass = 0.0
    /// Pure rule: Σ of kept entries `≥ eps` (multiplies `ln max(Z_kept, eps)` in `seedKL`).
    var seedKeptAbove = 0.0
    /// Pure rule, ranked selections: blocks with `rank < seedKeptCount` are kept.
    var seedKeptCount = 0
    /// Pure rule pruned every visible block (its `Q` is all zero).
    var seedAllPruned = false
}

/// A sweep point with its value converted for the row loop.
struct PointPlan {
    let selection: SelectionRule
    let blockSize: Int
    /// `τ` (threshold, coverage), `k` (topK) or `c` (relativeThreshold: the row's cut is `c/(q+1)`).
    let value: Double
    let keepSink: Bool
    let keepLocal: Bool

    init(_ point: SweepSetting) {
        selection = point.selection
        blockSize = point.blockSize
        value = point.value
        keepSink = point.keep.keepSink
        keepLocal = point.keep.keepLocal
    }

    /// Pure rule: is visible block `j` of a row of `n` visible keys kept? (`outcome` carries the
    /// ranked rules' kept count.)
    @inline(__always)
    func seedKeeps(block j: Int, stats: BlockRowStats, outcome: RowOutcome, visibleKeys n: Int) -> Bool {
        switch selection {
        case .threshold: return Double(stats.maximum[j]) >= value
        case .relativeThreshold: return Double(stats.maximum[j]) >= SelectionRule.relativeCut(value, visibleKeys: n)
        case .coverage, .topK: return Int(stats.rank[j]) < outcome.seedKeptCount
        }
    }

    /// Applies the point to the block statistics of a row of `n` visible keys (`q + 1`).
    ///
    /// Seed part: `Σ_pruned Σ_{A≥eps} A ln(A/eps) + ln(max(Z_kept, eps)) · Σ_kept Σ_{A≥eps} A`;
    /// entries below `eps` add nothing except in kept blocks near `eps` (`RowAnalyzer` adds
    /// that band exactly). The logarithms (`attentionKL`, `ln Z_kept`) are left to
    /// `RowAnalyzer.finishLogarithms`, which takes them eight points at a time.
    /// - Precondition: for coverage/topK, `stats.rankByMass()` was called for this row.
    @inline(__always)
    func evaluate(_ stats: BlockRowStats, visibleKeys n: Int, eps: Double) -> RowOutcome {
        switch selection {
        case .threshold:
            return tally(stats, keys: stats.maximum, cut: value, eps: eps, keptCount: 0)
        case .relativeThreshold:
            return tally(stats, keys: stats.maximum, cut: SelectionRule.relativeCut(value, visibleKeys: n), eps: eps,
                         keptCount: 0)
        case .coverage:
            let kept = stats.coverageCount(fraction: value)
            return tally(stats, keys: stats.negatedRank, cut: 0.5 - Double(kept), eps: eps, keptCount: kept)
        case .topK:
            let kept = Int(Swift.min(value, Double(stats.count)))
            return tally(stats, keys: stats.negatedRank, cut: 0.5 - Double(kept), eps: eps, keptCount: kept)
        }
    }

    /// The rule prunes block `j` iff `keys[j] < cut`. Sums the pure rule's pruned blocks eight
    /// at a time without branches, then takes the keep policy's (at most two) blocks back out.
    @inline(__always)
    private func tally(_ s: BlockRowStats, keys: UnsafePointer<Float>, cut: Double, eps: Double,
                       keptCount: Int) -> RowOutcome {
        let blocks = s.count
        let zero = SIMD8<Double>(repeating: 0)
        var count8 = SIMD8<Int64>(repeating: 0)
        var mass8 = zero, above8 = zero, term8 = zero
        var j = 0
        while j + 8 <= blocks {
            let prunes = SIMD8<Double>(UnsafeRawPointer(keys + j).loadUnaligned(as: SIMD8<Float>.self)) .< cut
            count8 &+= SIMD8<Int64>(repeating: 0).replacing(with: 1, where: prunes)
            mass8 += zero.replacing(with: UnsafeRawPointer(s.mass + j).loadUnaligned(as: SIMD8<Double>.self), where: prunes)
            above8 += zero.replacing(with: UnsafeRawPointer(s.massAboveEps + j).loadUnaligned(as: SIMD8<Double>.self),
                                     where: prunes)
            term8 += zero.replacing(with: UnsafeRawPointer(s.seedPrunedTerm + j).loadUnaligned(as: SIMD8<Double>.self),
                                    where: prunes)
            j += 8
        }
        var seedPruned = Int(count8.wrappedSum())
        var prunedMass = laneSum(mass8), prunedAbove = laneSum(above8), seedPrunedTerm = laneSum(term8)
        while j < blocks {
            if Double(keys[j]) < cut {
                seedPruned += 1
                prunedMass += s.mass[j]
                prunedAbove += s.massAboveEps[j]
                seedPrunedTerm += s.seedPrunedTerm[j]
            }
            j += 1
        }
        // Keep policy: blocks the rule pruned but the policy keeps.
        var pruned = seedPruned
        var forcedMass = 0.0
        let local = blocks - 1
        if keepSink && Double(keys[0]) < cut {
            pruned -= 1
            forcedMass += s.mass[0]
        }
        if keepLocal && (local != 0 || !keepSink) && Double(keys[local]) < cut {
            pruned -= 1
            forcedMass += s.mass[local]
        }
        let seedKeptMass = seedPruned == 0 ? s.rowMass : s.rowMass - prunedMass
        var o = RowOutcome()
        o.seedPrunedBlocks = seedPruned
        o.seedKeptCount = keptCount
        // Dense fallback: nothing kept, or (degenerate rows only) kept blocks without mass.
        if pruned == blocks || (pruned > 0 && seedKeptMass + forcedMass <= 0) {
            o.fullyPruned = true
        } else if pruned > 0 && s.rowMass > 0 {
            o.prunedBlocks = pruned
            o.prunedMass = (prunedMass - forcedMass) / s.rowMass   // attentionKL: RowAnalyzer.finishLogarithms
        }
        if seedPruned == blocks {
            o.seedAllPruned = true
            o.seedKL = seedPrunedTerm
        } else {
            // + ln(max(Z_kept, eps)) · seedKeptAbove, added by RowAnalyzer.finishLogarithms.
            o.seedKeptMass = seedKeptMass
            o.seedKeptAbove = s.rowMassAboveEps - prunedAbove
            o.seedKL = seedPrunedTerm
        }
        return o
    }
}
