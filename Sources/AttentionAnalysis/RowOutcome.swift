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
    /// Pure rule, ranked selections: blocks with `rank < seedKeptCount` are kept.
    var seedKeptCount = 0
    /// Pure rule pruned every visible block (its `Q` is all zero).
    var seedAllPruned = false
}

/// A sweep point with its value converted for the row loop.
struct PointPlan {
    let selection: SelectionRule
    let blockSize: Int
    /// `τ` (threshold, coverage) or `k` (topK).
    let value: Double
    let keepSink: Bool
    let keepLocal: Bool

    init(_ point: SweepPoint) {
        selection = point.selection
        blockSize = point.blockSize
        value = point.value
        keepSink = point.keep.keepSink
        keepLocal = point.keep.keepLocal
    }

    /// Pure rule: is visible block `j` kept? (`outcome` carries the ranked rules' kept count.)
    @inline(__always)
    func seedKeeps(block j: Int, stats: BlockRowStats, outcome: RowOutcome) -> Bool {
        switch selection {
        case .threshold: return Double(stats.maximum[j]) >= value
        case .coverage, .topK: return Int(stats.rank[j]) < outcome.seedKeptCount
        }
    }

    /// Applies the point to a row's block statistics.
    ///
    /// Seed part: `Σ_pruned Σ_{A≥eps} A ln(A/eps) + ln(max(Z_kept, eps)) · Σ_kept Σ_{A≥eps} A`;
    /// entries below `eps` add nothing except in kept blocks near `eps` (`RowAnalyzer` adds
    /// that band exactly).
    /// - Precondition: for coverage/topK, `stats.rankByMass()` was called for this row.
    @inline(__always)
    func evaluate(_ stats: BlockRowStats, eps: Double) -> RowOutcome {
        switch selection {
        case .threshold:
            let tau = value
            return tally(stats, eps: eps, keptCount: 0) { Double(stats.maximum[$0]) < tau }
        case .coverage:
            let kept = stats.coverageCount(fraction: value)
            return tally(stats, eps: eps, keptCount: kept) { Int(stats.rank[$0]) >= kept }
        case .topK:
            let kept = Int(Swift.min(value, Double(stats.count)))
            return tally(stats, eps: eps, keptCount: kept) { Int(stats.rank[$0]) >= kept }
        }
    }

    @inline(__always)
    private func tally(_ s: BlockRowStats, eps: Double, keptCount: Int,
                       prunes: (Int) -> Bool) -> RowOutcome {
        let blocks = s.count
        let local = blocks - 1
        var seedPruned = 0, pruned = 0
        var prunedMass = 0.0, keptMassForced = 0.0
        var seedKeptMass = 0.0, seedKeptAbove = 0.0, seedPrunedTerm = 0.0
        for j in 0..<blocks {
            if prunes(j) {
                seedPruned += 1
                seedPrunedTerm += s.seedPrunedTerm[j]
                if (keepSink && j == 0) || (keepLocal && j == local) {
                    keptMassForced += s.mass[j]
                } else {
                    pruned += 1
                    prunedMass += s.mass[j]
                }
            } else {
                seedKeptMass += s.mass[j]
                seedKeptAbove += s.massAboveEps[j]
            }
        }
        var o = RowOutcome()
        o.seedPrunedBlocks = seedPruned
        o.seedKeptCount = keptCount
        // Dense fallback: nothing kept, or (degenerate rows only) kept blocks without mass.
        if pruned == blocks || (pruned > 0 && seedKeptMass + keptMassForced <= 0) {
            o.fullyPruned = true
        } else if pruned > 0 && s.rowMass > 0 {
            let fraction = prunedMass / s.rowMass
            o.prunedBlocks = pruned
            o.prunedMass = fraction
            o.attentionKL = -log1p(-fraction)
        } else {
            o.prunedBlocks = pruned
        }
        if seedPruned == blocks {
            o.seedAllPruned = true
            o.seedKL = seedPrunedTerm
        } else {
            o.seedKeptMass = seedKeptMass
            o.seedKL = seedPrunedTerm + log(Swift.max(seedKeptMass, eps)) * seedKeptAbove
        }
        return o
    }
}
