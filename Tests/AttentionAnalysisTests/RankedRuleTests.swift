import XCTest
@testable import AttentionAnalysis

/// Coverage and top-k on hand-sized rows; the intervention's output shows which blocks were kept.
final class RankedRuleTests: XCTestCase {
    /// Row q3 of a 4×4 uniform-ish matrix with B = 1: [.25 .25 .25 .25], all masses tied.
    /// coverage τ = .5: by descending mass, ties lower index first: keys 0, 1 reach .5 → kept {0, 1};
    /// renormalised by .5 → [.5 .5 0 0]. topK k = 2 keeps the same two.
    private let uniform: [Float] = [
        1, 0, 0, 0,
        0.5, 0.5, 0, 0,
        0.5, 0.25, 0.25, 0,
        0.25, 0.25, 0.25, 0.25,
    ]

    func testCoverageTiesTakeLowerIndexFirst() throws {
        let out = try HandWorked.pruned(uniform, tokens: 4, SweepSetting(selection: .coverage, blockSize: 1, value: 0.5))
        XCTAssertEqual(Array(out[12..<16]), [0.5, 0.5, 0, 0])
        // q2 = [.5 .25 .25] at τ = .5: key 0 alone reaches .5 (≥, not >) → [1 0 0].
        XCTAssertEqual(Array(out[8..<12]), [1, 0, 0, 0])
        // q1 = [.5 .5]: tie, key 0 first, .5 reaches .5 → [1 0].
        XCTAssertEqual(Array(out[4..<8]), [1, 0, 0, 0])
    }

    /// coverage τ = .75 on q2 = [.5 .25 .25]: key 0 (.5), then keys 1 and 2 tie at .25 → key 1:
    /// .75 reaches .75 → kept {0, 1}, pruned mass .25, KL −ln .75; renormalised [2/3, 1/3, 0].
    func testCoverageStopsWhenTheTargetIsReached() throws {
        let out = try HandWorked.pruned(uniform, tokens: 4, SweepSetting(selection: .coverage, blockSize: 1, value: 0.75))
        XCTAssertEqual(out[8], 2.0 / 3, accuracy: 1e-7)
        XCTAssertEqual(out[9], 1.0 / 3, accuracy: 1e-7)
        XCTAssertEqual(out[10], 0)
        let kl = try HandWorked.perPosition(uniform, tokens: 4, SweepSetting(selection: .coverage, blockSize: 1, value: 0.75),
                                            metric: .attentionKL)
        // q0: [1] kept. q1 = [.5 .5]: .5 < .75 → both kept: 0. q3: three of four .25s: −ln .75.
        XCTAssertEqual(kl.values[0], 0)
        XCTAssertEqual(kl.values[1], 0)
        XCTAssertEqual(kl.values[2], -log(0.75), accuracy: 1e-15)
        XCTAssertEqual(kl.values[3], -log(0.75), accuracy: 1e-15)
    }

    /// coverage τ = 1 keeps every block with positive mass and nothing else: on the 4×4 hand
    /// matrix (no zero visible entries) it prunes nothing at all.
    func testCoverageOfOneKeepsEverything() throws {
        let r = try HandWorked.sweep(HandWorked.fourByFour, tokens: 4, SweepSetting(selection: .coverage, blockSize: 1, value: 1))
        XCTAssertEqual(r.prunedBlockFraction, 0)
        XCTAssertEqual(r.seedPrunedFraction, 6.0 / 16, accuracy: 1e-15)   // only the 6 masked pairs
    }

    /// topK on the 5×5 case, B = 2, row q4 = [.125 .125 | .25 .25 | .25]: block masses .25, .5, .25.
    /// k = 1 keeps block 1: pruned mass .5 → KL ln 2. k = 2 keeps block 1, then the tie .25/.25
    /// goes to block 0 (lower index): block 2 pruned, mass .25 → KL −ln .75. k = 5 > 3 keeps all.
    func testTopKWithTiesAndLargeK() throws {
        func kl(_ k: Double) throws -> Double {
            try HandWorked.perPosition(HandWorked.fiveByFive, tokens: 5, SweepSetting(selection: .topK, blockSize: 2, value: k),
                                       metric: .attentionKL).values[4]
        }
        XCTAssertEqual(try kl(1), log(2), accuracy: 1e-15)
        XCTAssertEqual(try kl(2), -log(0.75), accuracy: 1e-15)
        XCTAssertEqual(try kl(5), 0)
        let out = try HandWorked.pruned(HandWorked.fiveByFive, tokens: 5, SweepSetting(selection: .topK, blockSize: 2, value: 2))
        XCTAssertEqual(Array(out[20..<25]), [0.125 / 0.75, 0.125 / 0.75, 0.25 / 0.75, 0.25 / 0.75, 0].map { Float($0) })
    }

    /// topK k = 1 with keepSink on the 5×5 case, B = 2 (visible pairs 1+1+2+2+3 = 9).
    /// q2 = [.25 .25 | .5]: masses .5/.5 tie → the rule keeps block 0 (also the sink): block 1 pruned, mass .5.
    /// q3 = [.25 .25 | .25 .25]: same tie → block 1 pruned, mass .5.
    /// q4 = [.125 .125 | .25 .25 | .25]: the rule keeps block 1 (.5), the sink adds block 0: block 2 pruned, mass .25.
    /// prunedBlockFraction 3/9; prunedMass (.5 + .5 + .25)/5 = .25; seed (pure k = 1): pruned
    /// q2 1 + q3 1 + q4 2 = 4, masked 6 → 10/15.
    func testTopKWithKeepSink() throws {
        let r = try HandWorked.sweep(HandWorked.fiveByFive, tokens: 5,
                                     SweepSetting(selection: .topK, blockSize: 2, value: 1, keep: KeepPolicy(keepSink: true)))
        XCTAssertEqual(r.prunedBlockFraction, 3.0 / 9, accuracy: 1e-15)
        XCTAssertEqual(r.prunedMass, 0.25, accuracy: 1e-15)
        XCTAssertEqual(r.seedPrunedFraction, 10.0 / 15, accuracy: 1e-15)
        XCTAssertEqual(r.fullyPrunedRows, 0)
    }

    func testRejectsOutOfRangeValues() {
        XCTAssertThrowsError(try SweepSetting(selection: .topK, blockSize: 2, value: 1.5).validate())
        XCTAssertThrowsError(try SweepSetting(selection: .coverage, blockSize: 2, value: 0).validate())
        XCTAssertThrowsError(try SweepSetting(selection: .threshold, blockSize: 0, value: 0.1).validate())
        XCTAssertThrowsError(try SweepAccumulator(points: [], tokens: 4, heads: 1, layers: 1))
        XCTAssertThrowsError(try SweepAccumulator(points: [SweepSetting(selection: .threshold, blockSize: 2, value: 0.1)],
                                                  tokens: 4, heads: 1, layers: 1, seedEpsilon: 0))
    }
}
