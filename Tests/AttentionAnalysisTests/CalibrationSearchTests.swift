import Foundation
import Kernels
import XCTest
@testable import AttentionAnalysis

/// The per-head search and the global allocation of `calibrate` (Protocol/README.md §10) on
/// attention built by hand, where the right answer per head is known, and on statistics worked
/// on paper.
final class CalibrationSearchTests: XCTestCase {
    private let t = 8
    private lazy var geometry = TileGeometry(tokens: t, queryBlockSize: 2, keyBlockSize: 2)

    /// (T, T) rows given by `row(q)` over keys 0…q.
    private func attention(_ row: (Int) -> [Float]) -> [Float] {
        var a = [Float](repeating: 0, count: t * t)
        for q in 0..<t { for (k, v) in row(q).enumerated() { a[q * t + k] = v } }
        return a
    }

    /// Uniform over the visible keys: every pruned tile loses mass.
    private var diffuse: [Float] { attention { q in [Float](repeating: 1 / Float(q + 1), count: q + 1) } }
    /// All mass on the query itself: the diagonal tile is all a row needs.
    private var diagonal: [Float] { attention { q in (0...q).map { $0 == q ? 1 : 0 } } }
    /// Half on token 0 and half on the query (row 0: all on token 0): a sink + local head.
    private var streaming: [Float] { attention { q in q == 0 ? [1] : (0...q).map { $0 == 0 || $0 == q ? 0.5 : 0 } } }

    /// The oracle's threshold masks of one head for each candidate, diagonal tiles kept (`keepLocal`),
    /// scored as `calibrate` scores them.
    private func stats(_ a: [Float], candidates: [Double]) -> (stats: [HeadCandidateStats], masks: [TileMask]) {
        a.withUnsafeBufferPointer { head in
            let sums = TileRowSums.make(attention: head, tokens: t, keyBlockSizes: [2], epsilon: 1e-12, seedTerms: false)[0]
            let scores = OracleTiles.scores(attention: head, geometry: geometry, selection: .threshold(candidates[0]))
            let masks = candidates.map { scores.mask(.threshold($0), keepDiagonal: true) }
            return (masks.map { var s = HeadCandidateStats(); s.add(mask: $0, sums: sums); return s }, masks)
        }
    }

    func testEachHandBuiltHeadGetsItsKnownAnswer() {
        let candidates = [0.5, 0.1, 0.01]
        let budget = HeadBudget.maxAttentionKL(0.01)
        // Diffuse: thresholds 0.1 and 0.01 keep every tile (1/(q+1) ≥ 0.1 for q ≤ 7) and skip
        // nothing; 0.5 keeps the diagonal tiles only: m = 1, 1, 1/3, 2/4, 1/5, 2/6, 1/7, 2/8 and
        // attentionKL = mean −ln m = 7.8320 / 8 = 0.9790 nats.
        let d = stats(diffuse, candidates: candidates)
        XCTAssertEqual(d.stats[1].recall, 1)
        XCTAssertEqual(d.stats[0].attentionKL, 0.97900, accuracy: 1e-5)
        XCTAssertEqual(PerHeadSearch.choose(d.stats, budget: budget, denseBelowSparsity: 0.1), .dense(.tooLittleSparsity))
        XCTAssertEqual(PerHeadSearch.choose(Array(d.stats.prefix(1)), budget: budget, denseBelowSparsity: 0.1), .dense(.budgetNotMet))

        // Diagonal: every candidate keeps exactly the 4 diagonal tiles of the 10 visible ones, KL 0;
        // the tie goes to the first candidate.
        let g = stats(diagonal, candidates: candidates)
        XCTAssertEqual(PerHeadSearch.choose(g.stats, budget: budget, denseBelowSparsity: 0.1), .value(0))
        XCTAssertEqual(TileTestSupport.kept(g.masks[0]), [[0, 0], [1, 1], [2, 2], [3, 3]])
        XCTAssertEqual(g.stats[0].tileDensity, 0.4)
        XCTAssertEqual(g.stats[0].attentionKL, 0)
        // Computed entries: 4 diagonal tiles of 2 × 2 = 16 of the 36 causal ones.
        XCTAssertEqual(g.stats[0].computedFraction, 16.0 / 36.0, accuracy: 1e-15)

        // Streaming: tile 0 and the diagonal tile per query block (7 of 10), KL 0.
        let s = stats(streaming, candidates: candidates)
        XCTAssertEqual(PerHeadSearch.choose(s.stats, budget: budget, denseBelowSparsity: 0.1), .value(0))
        XCTAssertEqual(TileTestSupport.kept(s.masks[0]), [[0, 0], [1, 0], [1, 1], [2, 0], [2, 2], [3, 0], [3, 3]])
        XCTAssertEqual(s.stats[0].tileDensity, 0.7)
        XCTAssertEqual(s.stats[0].recall, 1)

        // A floor on recall decides the same way.
        XCTAssertEqual(PerHeadSearch.choose(d.stats, budget: .minRecall(0.99), denseBelowSparsity: 0.1), .dense(.tooLittleSparsity))
        XCTAssertEqual(PerHeadSearch.choose(s.stats, budget: .minRecall(0.99), denseBelowSparsity: 0.1), .value(0))
        // denseBelowSparsity 0.6: the streaming head computes 7 tiles of 4 entries, 28 of 36, so it
        // skips 0.22 and stays dense.
        XCTAssertEqual(s.stats[0].computedFraction, 28.0 / 36.0, accuracy: 1e-15)
        XCTAssertEqual(PerHeadSearch.choose(s.stats, budget: budget, denseBelowSparsity: 0.6), .dense(.tooLittleSparsity))
    }

    /// Statistics with a chosen attentionKL (x) and sparsity (y): 100 rows, 100 causal entries.
    private func point(kl x: Double, sparsity y: Double) -> HeadCandidateStats {
        HeadCandidateStats(rows: 100, keptMass: 100 * exp(-x), negativeLogKeptMass: 100 * x, keptTiles: 1, visibleTiles: 1,
                           computedEntries: Int(((1 - y) * 100).rounded()), causalEntries: 100)
    }

    func testTheAllocationFollowsEachHeadsHullAndMergesBySlope() {
        // Head 0: (0.1, 0.5) slope 5 from dense; (0.2, 0.55) then slope 0.05 / 0.1 = 0.5;
        // (0.05, 0.2) has slope 4 < 5 and lies below the hull, so it is never a step.
        // Head 1: (0.01, 0.3) slope 30; (0.02, 0.05) skips less than denseBelowSparsity 0.1.
        let stats = [[point(kl: 0.1, sparsity: 0.5), point(kl: 0.2, sparsity: 0.55), point(kl: 0.05, sparsity: 0.2)],
                     [point(kl: 0.01, sparsity: 0.3), point(kl: 0.02, sparsity: 0.05)]]
        let allocation = GlobalAllocation(stats: stats, denseBelowSparsity: 0.1)
        XCTAssertEqual(allocation.steps.map(\.head), [1, 0, 0])
        XCTAssertEqual(allocation.steps.map(\.candidate), [0, 0, 1])
        XCTAssertEqual(allocation.steps[0].slope, 30, accuracy: 1e-9)
        XCTAssertEqual(allocation.steps[1].slope, 5, accuracy: 1e-9)
        XCTAssertEqual(allocation.steps[2].slope, 0.5, accuracy: 1e-9)
        XCTAssertEqual(allocation.configuration(steps: 0), [nil, nil])
        XCTAssertEqual(allocation.configuration(steps: 2), [0, 0])
        XCTAssertEqual(allocation.configuration(steps: 3), [1, 0])
    }

    func testAFreeStepComesFirst() {
        // Sparsity without any loss (a tile with no mass pruned): slope +∞.
        let stats = [[point(kl: 0.3, sparsity: 0.6)], [point(kl: 0, sparsity: 0.2)]]
        let allocation = GlobalAllocation(stats: stats, denseBelowSparsity: 0.1)
        XCTAssertEqual(allocation.steps.map(\.head), [1, 0])
        XCTAssertEqual(allocation.steps[0].slope, .infinity)
    }

    func testBisectionFindsTheLargestMeasuredIndexWithinBudget() {
        // A measured value rising with n: f(n) = n / 10; budget 0.35 → index 3.
        var calls: [Int] = []
        let found = GlobalAllocation.largestWithinBudget(count: 10, budget: 0.35) { n in calls.append(n); return Double(n) / 10 }
        XCTAssertEqual(found.index, 3)
        XCTAssertEqual(calls.first, 10, "the largest configuration is measured first")
        XCTAssertLessThanOrEqual(calls.count, 1 + 4, "one measurement plus ⌈log2 10⌉ bisection steps")
        XCTAssertEqual(found.measured[3], 0.3)
        // Everything within budget: one measurement.
        XCTAssertEqual(GlobalAllocation.largestWithinBudget(count: 10, budget: 2) { Double($0) / 10 }.index, 10)
        // Nothing within budget (even one step): dense, index 0, never claimed without a measurement.
        let none = GlobalAllocation.largestWithinBudget(count: 10, budget: 0.01) { _ in 1 }
        XCTAssertEqual(none.index, 0)
        XCTAssertNil(none.measured[0])
        XCTAssertEqual(GlobalAllocation.largestWithinBudget(count: 0, budget: 1) { _ in XCTFail("nothing to measure"); return 0 }.index, 0)
    }
}
