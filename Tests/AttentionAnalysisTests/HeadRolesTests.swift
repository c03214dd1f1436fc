import XCTest
@testable import AttentionAnalysis

/// The head-role scores (§11) on matrices small enough to check on paper.
final class HeadRolesTests: XCTestCase {
    /// `HandWorked.fourByFour`:
    ///   q0 [1], q1 [.75 .25], q2 [.125 .125 .75], q3 [.0625 .0625 .125 .75].
    private func withFour<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        HandWorked.fourByFour.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// sink (1 + .75 + .125 + .0625) / 4 = .484375.
    /// local, window 2: q0 1, q1 1, q2 .125 + .75, q3 .125 + .75 → 3.75 / 4 = .9375; window 1 is the
    /// diagonal (1 + .25 + .75 + .75) / 4 = .6875.
    func testSinkAndLocalScores() {
        withFour { a in
            XCTAssertEqual(HeadRoles.sinkScore(a, tokens: 4), 0.484375)
            XCTAssertEqual(HeadRoles.localScore(a, tokens: 4, window: 2), 0.9375)
            XCTAssertEqual(HeadRoles.localScore(a, tokens: 4, window: 1), 0.6875)
            XCTAssertEqual(HeadRoles.localScore(a, tokens: 4, window: 100), 1)
        }
    }

    /// previous token: (A[1,0] + A[2,1] + A[3,2]) / ΣA = (.75 + .125 + .125) / 4 = .25.
    /// ids [7, 8, 7, 7]: duplicate pattern {(2,0), (3,0), (3,2)} → (.125 + .0625 + .125) / 4 = .078125.
    /// induction pattern (k−1 is an earlier copy of q's token, 1 ≤ k ≤ q): {(2,1), (3,1), (3,3)}
    /// → (.125 + .0625 + .75) / 4 = .234375.
    func testTransformerLensPatternScores() {
        withFour { a in
            XCTAssertEqual(HeadRoles.previousTokenScore(a, tokens: 4), 0.25)
            XCTAssertEqual(HeadRoles.duplicateTokenScore(a, tokens: 4, ids: [7, 8, 7, 7]), 0.078125)
            XCTAssertEqual(HeadRoles.duplicateTokenScore(a, tokens: 4, ids: [1, 2, 3, 4]), 0)
            XCTAssertEqual(HeadRoles.inductionPatternScore(a, tokens: 4, ids: [7, 8, 7, 7]), 0.234375)
        }
    }

    /// Sink 1 + window 1: q0, q1 keep all (1); q2 keeps .125 + .75 of 1 (.875); q3 .0625 + .75
    /// (.8125) → 3.6875 / 4 = .921875. Sink 0 + window 4 keeps everything.
    func testStreamingMass() {
        withFour { a in
            XCTAssertEqual(HeadRoles.streamingMass(a, tokens: 4, sinkTokens: 1, window: 1), 0.921875)
            XCTAssertEqual(HeadRoles.streamingMass(a, tokens: 4, sinkTokens: 0, window: 4), 1)
            XCTAssertEqual(HeadRoles.streamingMass(a, tokens: 4, sinkTokens: 4, window: 1), 1)
            // Sink 0, window 1: the diagonal over its row, as the local score's window 1.
            XCTAssertEqual(HeadRoles.streamingMass(a, tokens: 4, sinkTokens: 0, window: 1), 0.6875)
        }
    }

    /// A perfect induction head on BOS a b a b (n = 2, T = 5): q3 → key 2, q4 → key 3, the
    /// first copy's rows on BOS. The stripe averages the second copy's rows: 1. TransformerLens'
    /// pattern score divides by all 5 rows' mass: 2 / 5. A previous-token head scores 0 on the stripe.
    func testInductionStripe() {
        let induction: [Float] = [
            1, 0, 0, 0, 0,
            1, 0, 0, 0, 0,
            1, 0, 0, 0, 0,
            0, 0, 1, 0, 0,
            0, 0, 0, 1, 0,
        ]
        let previous: [Float] = [
            1, 0, 0, 0, 0,
            1, 0, 0, 0, 0,
            0, 1, 0, 0, 0,
            0, 0, 1, 0, 0,
            0, 0, 0, 1, 0,
        ]
        // (With n = 2 the stripe's offset −(n − 1) is −1: there the previous token is the
        // induction target, so `previous` is checked on its own score only.)
        induction.withUnsafeBufferPointer { a in
            XCTAssertEqual(HeadRoles.inductionStripeScore(a.baseAddress!, tokens: 5, repeatLength: 2), 1)
            XCTAssertEqual(HeadRoles.inductionPatternScore(a.baseAddress!, tokens: 5, ids: [0, 5, 6, 5, 6]), 0.4)
        }
        let diagonal: [Float] = (0..<25).map { $0 % 6 == 0 ? 1 : 0 }
        diagonal.withUnsafeBufferPointer { a in
            XCTAssertEqual(HeadRoles.inductionStripeScore(a.baseAddress!, tokens: 5, repeatLength: 2), 0)
            XCTAssertEqual(HeadRoles.localScore(a.baseAddress!, tokens: 5, window: 1), 1)
        }
        previous.withUnsafeBufferPointer { a in
            XCTAssertEqual(HeadRoles.previousTokenScore(a.baseAddress!, tokens: 5), 0.8)   // (T − 1) / T
        }
    }

    /// n = 3 (T = 7: BOS a b c a b c): the stripe is keys q − 2 for q = 4, 5, 6 (keys 2, 3, 4).
    func testInductionStripeOffset() {
        var a = [Float](repeating: 0, count: 49)
        for q in 0..<7 { a[q * 7] = 1 }                        // every row on BOS
        a[4 * 7] = 0.5; a[4 * 7 + 2] = 0.5                      // q4 half on key 2
        a[5 * 7] = 0; a[5 * 7 + 3] = 1                          // q5 all on key 3
        // q6 stays on BOS: (0.5 + 1 + 0) / 3
        a.withUnsafeBufferPointer {
            XCTAssertEqual(HeadRoles.inductionStripeScore($0.baseAddress!, tokens: 7, repeatLength: 3), 0.5)
        }
    }

    /// The largest named score at or above the threshold; ties in the order induction,
    /// duplicateToken, previousToken, sink; else local; else diffuse.
    func testRoleRule() {
        func role(_ i: Double?, _ d: Double, _ p: Double, _ s: Double, _ l: Double) -> HeadRole {
            HeadRole.decide(induction: i, duplicateToken: d, previousToken: p, sink: s, local: l, threshold: 0.4)
        }
        XCTAssertEqual(role(0.5, 0.1, 0.6, 0.2, 0.9), .previousToken)
        XCTAssertEqual(role(0.7, 0.1, 0.6, 0.2, 0.9), .induction)
        XCTAssertEqual(role(0.1, 0.5, 0.1, 0.5, 0.9), .duplicateToken)    // tie: duplicateToken before sink
        XCTAssertEqual(role(0.1, 0.1, 0.1, 0.4, 0.9), .sink)              // reaching the threshold counts
        XCTAssertEqual(role(0.1, 0.1, 0.39, 0.1, 0.4), .local)
        XCTAssertEqual(role(nil, 0.1, 0.39, 0.1, 0.39), .diffuse)
    }

    /// The accumulator fills the scores from the ids, the role from them and the induction
    /// score, and streamingHead from streamingMass against the minimum.
    func testAccumulatorAssignsRoles() throws {
        func head(induction: Double, minMass: Double) throws -> ProfileHead {
            let roles = HeadRoleOptions(localWindow: 2, streamingSinkTokens: 1, streamingWindow: 1, streamingMinMass: minMass,
                                        roleThreshold: 0.4)
            let acc = try ProfileAccumulator(options: ProfileOptions(blockSize: 2, thresholds: [0.2], roles: roles),
                                             tokens: 4, heads: 1, layers: 1, ids: [7, 8, 7, 7])
            try HandWorked.fourByFour.withUnsafeBufferPointer { try acc.consume(layer: 0, attention: $0) }
            return try acc.result(induction: [induction]).layers[0].heads[0]
        }
        let h = try head(induction: 0.7, minMass: 0.921875)
        XCTAssertEqual(h.sinkScore, 0.484375)
        XCTAssertEqual(h.localScore, 0.9375)
        XCTAssertEqual(h.previousTokenScore, 0.25)
        XCTAssertEqual(h.duplicateTokenScore, 0.078125)
        XCTAssertEqual(h.inductionScore, 0.7)
        XCTAssertEqual(h.streamingMass, 0.921875)
        XCTAssertEqual(h.streamingHead, true)
        XCTAssertEqual(h.role, .induction)
        let other = try head(induction: 0.1, minMass: 0.93)
        XCTAssertEqual(other.streamingHead, false)
        XCTAssertEqual(other.role, .sink)      // .484375 is the largest named score ≥ .4
        // Without ids the fields stay absent.
        let plain = try ProfileAccumulator(options: ProfileOptions(blockSize: 2, thresholds: [0.2]), tokens: 4, heads: 1, layers: 1)
        try HandWorked.fourByFour.withUnsafeBufferPointer { try plain.consume(layer: 0, attention: $0) }
        XCTAssertNil(try plain.result().layers[0].heads[0].role)
        XCTAssertThrowsError(try ProfileAccumulator(tokens: 4, heads: 1, layers: 1, ids: [1, 2]))
        XCTAssertThrowsError(try ProfileAccumulator(options: ProfileOptions(roles: HeadRoleOptions(localWindow: 0)),
                                                    tokens: 4, heads: 1, layers: 1))
    }

    /// Across texts: the means decide. fourByFour (previous .25, sink .484375) and a perfect
    /// previous-token head (previous .75, sink (1 + 1) / 4 = .5): means previous .5, sink
    /// .4921875 → previousToken, though the first text alone is a sink head.
    func testRolesAcrossTextsFromTheMeans() throws {
        let previous: [Float] = [1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]
        func profile(_ a: [Float]) throws -> AttentionProfile {
            let acc = try ProfileAccumulator(options: ProfileOptions(blockSize: 2, thresholds: [0.2]), tokens: 4, heads: 1, layers: 1,
                                             ids: [1, 2, 3, 4])
            try a.withUnsafeBufferPointer { try acc.consume(layer: 0, attention: $0) }
            return try acc.result(induction: [0])
        }
        let first = try profile(HandWorked.fourByFour)
        XCTAssertEqual(first.layers[0].heads[0].role, .sink)
        let s = try AcrossTexts.summarize(profiles: [first, try profile(previous)])[0]
        XCTAssertEqual(s.previousTokenScore?.mean, 0.5)
        XCTAssertEqual(s.sinkScore?.mean, 0.4921875)
        XCTAssertEqual(s.previousTokenScore?.n, 2)
        XCTAssertEqual(s.inductionScore, 0)
        XCTAssertEqual(s.role, .previousToken)
    }

    /// SplitMix64 from seed 0: its first outputs are the published 0xE220A8397B1DCDAF,
    /// 0x6E789E6AA1B965F4, 0x06C45D188009454F; ids are each mod vocabSize.
    func testInductionSequenceIsSplitMix64() {
        let seq = InductionSequence.tokens(seed: 0, length: 3, vocabSize: 50257, bos: 50256)
        let published: [UInt64] = [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F]
        let expected = published.map { Int($0 % 50257) }
        XCTAssertEqual(seq, [50256] + expected + expected)
        XCTAssertEqual(InductionSequence.tokens(seed: 7, length: 50, vocabSize: 512, bos: 0).count, 101)
        XCTAssertNotEqual(InductionSequence.tokens(seed: 7, length: 5, vocabSize: 512, bos: 0),
                          InductionSequence.tokens(seed: 8, length: 5, vocabSize: 512, bos: 0))
    }
}
