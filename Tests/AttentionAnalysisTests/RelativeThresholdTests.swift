import XCTest
import Kernels
@testable import AttentionAnalysis
import SyntheticAttention

/// `relativeThreshold` c (Protocol/README.md §11): row q prunes visible block j when
/// `M[q,j] < c/(q+1)`; on tiles, query block i uses the cut of its last query, `c / min((i+1)Bq, T)`.
///
/// Cases on `HandWorked.fiveByFive`:
///
///     q0: 1                        cut at c = 1: 1     c = 1.2: 1.2
///     q1: .5  .5                                 .5             .6
///     q2: .25 .25 .5                             1/3            .4
///     q3: .25 .25 .25 .25                        .25            .3
///     q4: .125 .125 .25 .25 .25                  .2             .24
final class RelativeThresholdTests: XCTestCase {
    private func point(_ c: Double, blockSize: Int, keep: KeepPolicy = .none) -> SweepSetting {
        SweepSetting(selection: .relativeThreshold, blockSize: blockSize, value: c, keep: keep)
    }

    /// B = 1 (a block per key), c = 1 ("below uniform"):
    /// q1 keeps both (.5 ≥ .5); q2 prunes keys 0, 1 (.25 < 1/3): mass .5, KL ln 2; q3 keeps all
    /// (.25 ≥ .25); q4 prunes keys 0, 1 (.125 < .2): mass .25, KL ln(4/3).
    /// Pruned 4 of 15 visible pairs, no fallback; prunedMass .75/5 = .15; attentionKL ln(8/3)/5;
    /// seed (4 pruned + 10 masked)/25 = .56; seedKL (eps 1e-12): q2 = .5(ln .25 − ln eps) + .5 ln .5,
    /// q4 = .25(ln .125 − ln eps) + .75 ln .75, mean over 5 rows.
    /// No absolute τ does this: τ = 1/3 (q2's cut) sends q3 and q4 to dense fallback, τ = .2
    /// (q4's cut) prunes nothing in q2.
    func testPerRowByHandDiffersFromEveryAbsoluteThreshold() throws {
        let r = try HandWorked.sweep(HandWorked.fiveByFive, tokens: 5, point(1, blockSize: 1))
        XCTAssertEqual(r.selection, .relativeThreshold)
        XCTAssertEqual(r.prunedBlockFraction, 4.0 / 15, accuracy: 1e-15)
        XCTAssertEqual(r.fullyPrunedRows, 0)
        XCTAssertEqual(r.prunedMass, 0.15, accuracy: 1e-15)
        XCTAssertEqual(r.attentionKL, log(8.0 / 3) / 5, accuracy: 1e-14)
        XCTAssertEqual(r.seedPrunedFraction, 0.56, accuracy: 1e-15)
        let lnEps = log(1e-12)
        let seed = (0.5 * (log(0.25) - lnEps) + 0.5 * log(0.5) + 0.25 * (log(0.125) - lnEps) + 0.75 * log(0.75)) / 5
        XCTAssertEqual(r.seedKL, seed, accuracy: 1e-11)

        let third = try HandWorked.sweep(HandWorked.fiveByFive, tokens: 5,
                                         SweepSetting(selection: .threshold, blockSize: 1, value: 1.0 / 3))
        XCTAssertEqual(third.fullyPrunedRows, 2, "q3 and q4: every key below 1/3")
        let fifth = try HandWorked.sweep(HandWorked.fiveByFive, tokens: 5,
                                         SweepSetting(selection: .threshold, blockSize: 1, value: 0.2))
        XCTAssertEqual(fifth.prunedBlockFraction, 2.0 / 15, accuracy: 1e-15, "only q4's two keys")
    }

    /// B = 2, c = 1.2 (> 1, so fallback is possible): q0 (cut 1.2, weight 1) and q1 (cut .6, max .5)
    /// would prune their only block → dense fallback; q2 (cut .4) prunes block 0: mass .5; q3 (cut
    /// .3): both blocks at .25 → dense fallback; q4 (cut .24) prunes block 0 (.125): mass .25.
    /// Pruned 2 of 9 visible pairs, 3 fallback rows; prunedMass .15, attentionKL ln(8/3)/5.
    func testPerRowPartialBlocksAndFallback() throws {
        let r = try HandWorked.sweep(HandWorked.fiveByFive, tokens: 5, point(1.2, blockSize: 2))
        XCTAssertEqual(r.prunedBlockFraction, 2.0 / 9, accuracy: 1e-15)
        XCTAssertEqual(r.fullyPrunedRows, 3)
        XCTAssertEqual(r.prunedMass, 0.15, accuracy: 1e-15)
        XCTAssertEqual(r.attentionKL, log(8.0 / 3) / 5, accuracy: 1e-14)
        // The pruned pass: q0, q1, q3 untouched (fallback), q2 → [0 0 | 1], q4 → [0 0 | 1/3 1/3 | 1/3].
        let pruned = try HandWorked.pruned(HandWorked.fiveByFive, tokens: 5, point(1.2, blockSize: 2))
        XCTAssertEqual(Array(pruned[0..<10]), Array(HandWorked.fiveByFive[0..<10]))
        XCTAssertEqual(Array(pruned[10..<15]), [0, 0, 1, 0, 0])
        XCTAssertEqual(Array(pruned[15..<20]), [0.25, 0.25, 0.25, 0.25, 0])
        XCTAssertEqual(Array(pruned[20..<25]), [0, 0, Float(1.0 / 3), Float(1.0 / 3), Float(1.0 / 3)])
    }

    /// A row of n visible keys under relativeThreshold c is that row under threshold c/n: per
    /// position (every metric, with a keep policy) and in the pruned pass, bit for bit.
    func testEachRowEqualsThresholdOfItsOwnCut() throws {
        let (heads, t) = (2, 37)
        let a = SyntheticAttention.layer(heads: heads, tokens: t, spread: 4, seed: 7)
        for (c, b, keep) in [(1.0, 4, KeepPolicy.none), (0.5, 3, KeepPolicy(keepSink: true)), (3.0, 8, KeepPolicy(keepLocal: true))] {
            let rel = point(c, blockSize: b, keep: keep)
            let relPruned = try HandWorked.pruned(a, heads: heads, tokens: t, rel)
            for metric in [PerPositionMetric.attentionKL, .prunedMass, .seedKL] {
                let relValues = try HandWorked.perPosition(a, heads: heads, tokens: t, rel, metric: metric).values
                for q in 0..<t {
                    let abs = SweepSetting(selection: .threshold, blockSize: b, value: c / Double(q + 1), keep: keep)
                    guard abs.value <= 1 else { continue }          // threshold's range; the row is then single-block anyway
                    let absValues = try HandWorked.perPosition(a, heads: heads, tokens: t, abs, metric: metric).values
                    XCTAssertEqual(relValues[q], absValues[q], "c \(c) B \(b) \(metric) row \(q)")
                    if metric == .attentionKL {
                        let absPruned = try HandWorked.pruned(a, heads: heads, tokens: t, abs)
                        for h in 0..<heads {
                            let row = (h * t + q) * t
                            XCTAssertEqual(Array(relPruned[row..<(row + t)]), Array(absPruned[row..<(row + t)]),
                                           "pruned pass, c \(c) B \(b) head \(h) row \(q)")
                        }
                    }
                }
            }
        }
    }

    /// Oracle tiles, Bq = Bk = 2 (tiles as in `OracleTilesTests`: maxima (0,0) 1, (1,0) .25,
    /// (1,1) .5, (2,0) .125, (2,1) .25, (2,2) .25). c = 1.2 with the last queries' cuts q1: .6,
    /// q3: .3, q4: .24 prunes (1,0) and (2,0) and keeps (2,1), (2,2) — no absolute τ does (pruning
    /// (1,0) at .25 needs τ > .25, which prunes (2,1) and (2,2) too). The first queries' cuts
    /// (q0: 1.2, q2: .4, q4: .24) would prune tile (0,0), which row 1 keeps under its own cut .6.
    func testTilesUseTheLastQuerysCut() throws {
        let g = TileGeometry(tokens: 5, queryBlockSize: 2, keyBlockSize: 2)
        let mask = try HandWorked.fiveByFive.withUnsafeBufferPointer {
            try OracleTiles.mask(attention: $0, geometry: g, selection: .relativeThreshold(1.2))
        }
        XCTAssertEqual(TileTestSupport.kept(mask), [[0, 0], [1, 1], [2, 1], [2, 2]])
        XCTAssertEqual((0..<5).filter { mask.fallsBack(query: $0) }, [])
        for tau in [0.25, 0.2500001, 0.125, 0.5] {
            let absolute = try HandWorked.fiveByFive.withUnsafeBufferPointer {
                try OracleTiles.mask(attention: $0, geometry: g, selection: .threshold(tau))
            }
            XCTAssertNotEqual(TileTestSupport.kept(absolute), TileTestSupport.kept(mask), "τ \(tau)")
        }
        // c = 1: cuts .5, .25, .2 keep everything but (2,0), as threshold .2 does.
        let uniform = try HandWorked.fiveByFive.withUnsafeBufferPointer {
            try OracleTiles.mask(attention: $0, geometry: g, selection: .relativeThreshold(1))
        }
        XCTAssertEqual(TileTestSupport.kept(uniform), [[0, 0], [1, 0], [1, 1], [2, 1], [2, 2]])
    }

    /// The tile cut is never above any row's own cut, so the tile rule keeps every tile some row
    /// of its block keeps under the per-row rule (before fallback): on synthetic attention, with
    /// Bq in {2, 5, 8}.
    func testTilesKeepWhatAnyOfTheirRowsKeeps() throws {
        let t = 41
        let a = SyntheticAttention.layer(heads: 1, tokens: t, spread: 4, seed: 3)
        for (bq, bk, c) in [(2, 3, 1.0), (5, 4, 0.5), (8, 8, 2.0)] {
            let g = TileGeometry(tokens: t, queryBlockSize: bq, keyBlockSize: bk)
            let mask = try a.withUnsafeBufferPointer { try OracleTiles.mask(attention: $0, geometry: g, selection: .relativeThreshold(c)) }
            for q in 0..<t {
                let cut = c / Double(q + 1)
                for j in 0...(q / bk) {
                    let keys = (j * bk)..<min(j * bk + bk, q + 1)
                    let rowKeeps = keys.contains { Double(a[q * t + $0]) >= cut }
                    if rowKeeps {
                        XCTAssertTrue(mask.isKept(queryBlock: q / bq, keyBlock: j), "Bq \(bq) Bk \(bk) c \(c) row \(q) block \(j)")
                    }
                }
            }
        }
    }

    /// Estimators: relativeThreshold c keeps, in query block i, what threshold c/n_i keeps there
    /// (n_i = keys of its last query) — meanPool, antidiagonal and quest through their tile scores;
    /// lastQueries, whose rule runs once on the last queries' rows, is threshold c/T throughout.
    func testEstimatorsUseTheCutOfEachQueryBlocksLastQuery() throws {
        let (t, d) = (30, 8)
        let q = TileTestSupport.random(t * d, seed: 5, scale: 2), k = TileTestSupport.random(t * d, seed: 6, scale: 2)
        let g = TileGeometry(tokens: t, queryBlockSize: 4, keyBlockSize: 2)       // last queries 3, 7, …, 27, 29
        let lastKeys = (0..<g.queryBlocks).map { g.queries(ofBlock: $0).upperBound }
        XCTAssertEqual(lastKeys.last, 30)
        var differs = 0
        try TileTestSupport.withHead(q: q, k: k, headDim: d) { head in
            for c in [0.5, 1.5, 6.0] {
                for estimator in [TileEstimator.meanPool, .antidiagonal(stride: 2), .quest] {
                    let rel = try estimator.estimate(head, geometry: g, selection: .relativeThreshold(c))
                    for (i, n) in lastKeys.enumerated() {
                        guard c / Double(n) <= 1 else {     // no score reaches a cut above 1: the diagonal alone
                            XCTAssertEqual(rel.mask.keptKeyBlocks(queryBlock: i), Array(g.diagonalKeyBlocks(queryBlock: i)))
                            continue
                        }
                        let abs = try estimator.estimate(head, geometry: g, selection: .threshold(c / Double(n)))
                        XCTAssertEqual(rel.mask.keptKeyBlocks(queryBlock: i), abs.mask.keptKeyBlocks(queryBlock: i),
                                       "\(estimator) c \(c) query block \(i)")
                    }
                    let overT = try estimator.estimate(head, geometry: g, selection: .threshold(c / Double(t)))
                    differs += overT.mask == rel.mask ? 0 : 1
                }
                let last = TileEstimator.lastQueries(count: 6)
                XCTAssertEqual(try last.estimate(head, geometry: g, selection: .relativeThreshold(c)),
                               try last.estimate(head, geometry: g, selection: .threshold(c / Double(t))), "lastQueries c \(c)")
            }
        }
        XCTAssertGreaterThan(differs, 0, "the per-block cut must differ from one cut c/T somewhere")
    }

    func testRangeErrorsNameTheField() {
        for c in [0.0, -1, 1024.5, .infinity, .nan] {
            XCTAssertThrowsError(try point(c, blockSize: 4).validate(field: "points[3]"), "c \(c)") { error in
                guard case let AnalysisError.invalidValue(field, _, accepted) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(field, "points[3].threshold")
                XCTAssertEqual(accepted, "a number in (0, 1024] (relativeThreshold)")
            }
            XCTAssertThrowsError(try TileSelection.relativeThreshold(c).validate(field: "threshold"), "c \(c)") { error in
                guard case let AnalysisError.invalidValue(field, _, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(field, "threshold")
            }
        }
        XCTAssertNoThrow(try point(1024, blockSize: 4).validate())
        XCTAssertNoThrow(try TileSelection.relativeThreshold(1e-9).validate(field: "threshold"))
    }
}
