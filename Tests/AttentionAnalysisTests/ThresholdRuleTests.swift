import XCTest
@testable import AttentionAnalysis
import SyntheticAttention

/// The threshold rule and every sweep metric on matrices small enough to check on paper.
final class ThresholdRuleTests: XCTestCase {
    /// 4×4, B = 2 (blocks {0,1}, {2,3}), τ = 0.2.
    /// q0, q1 see block 0 only (max 1, 0.75): nothing pruned.
    /// q2 = [.125 .125 | .75]: block 0 max .125 < .2 pruned: pruned mass .25, KL −ln .75 = 0.2876820724517809.
    /// q3 = [.0625 .0625 | .125 .75]: block 0 pruned: pruned mass .125, KL −ln .875 = 0.13353139262452263.
    /// Visible pairs 1+1+2+2 = 6, pruned 2 → 1/3. Seed: (2 pruned + 2 masked) / (4·2) = 0.5.
    /// prunedMass (0+0+.25+.125)/4 = 0.09375; attentionKL (0.28768… + 0.13353…)/4 = 0.10530336626907588.
    /// seedKL (eps 1e-12): q2 = 2·.125(ln .125 − ln eps) + .75 ln .75 = 6.172133339223342,
    /// q3 = 2·.0625(ln .0625 − ln eps) + .875 ln .875 = 2.9904640806646383 → mean 2.290649354971995.
    func testFourByFourThreshold() throws {
        let r = try HandWorked.sweep(HandWorked.fourByFour, tokens: 4,
                                     SweepSetting(selection: .threshold, blockSize: 2, value: 0.2))
        XCTAssertEqual(r.prunedBlockFraction, 1.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(r.seedPrunedFraction, 0.5, accuracy: 1e-15)
        XCTAssertEqual(r.prunedMass, 0.09375, accuracy: 1e-15)
        XCTAssertEqual(r.attentionKL, 0.10530336626907588, accuracy: 1e-14)
        XCTAssertEqual(r.seedKL, 2.290649354971995, accuracy: 1e-12)
        XCTAssertEqual(r.fullyPrunedRows, 0)
        XCTAssertEqual(r.layers.count, 1)
        XCTAssertEqual(r.layers[0].attentionKL, r.attentionKL)
    }

    /// 5×5, B = 2 (blocks {0,1}, {2,3}, {4}: partial last block), τ = 0.3.
    /// q2 = [.25 .25 | .5]: block 0 pruned: mass .5, KL ln 2.
    /// q3 = [.25 .25 | .25 .25]: both blocks' max .25 < .3: fully pruned → dense, counted.
    /// q4 = [.125 .125 | .25 .25 | .25]: all three below .3: fully pruned → dense, counted.
    /// Pruned 1 of 9 visible pairs; seed: (1 + 2 + 3 pure pruned + 6 masked) / 15 = 0.8.
    /// prunedMass .5/5 = 0.1; attentionKL ln2/5 = 0.13862943611198905.
    /// seedKL: q2 = .5(ln .25 − ln eps) + .5 ln .5 = 12.775789787124356; q3 (Q = 0) = ln .25 − ln eps
    /// = 26.244726754808656; q4 = .25(ln .125 − ln eps) + .75(ln .25 − ln eps) = 26.071439959668673;
    /// mean (sum)/5 = 13.018391300320337.
    func testFullyPrunedRowsFallBackToDenseAndPartialLastBlock() throws {
        let r = try HandWorked.sweep(HandWorked.fiveByFive, tokens: 5,
                                     SweepSetting(selection: .threshold, blockSize: 2, value: 0.3))
        XCTAssertEqual(r.fullyPrunedRows, 2)
        XCTAssertEqual(r.prunedBlockFraction, 1.0 / 9, accuracy: 1e-15)
        XCTAssertEqual(r.seedPrunedFraction, 0.8, accuracy: 1e-15)
        XCTAssertEqual(r.prunedMass, 0.1, accuracy: 1e-15)
        XCTAssertEqual(r.attentionKL, 0.13862943611198905, accuracy: 1e-14)
        XCTAssertEqual(r.seedKL, 13.018391300320337, accuracy: 1e-11)
    }

    /// keepSink on the 5×5 case: q2 keeps block 0 (nothing pruned); q3 prunes {1} (mass .5,
    /// ln 2); q4 prunes {1, 2} (mass .75, ln 4). 3 of 9 pruned, no fallback;
    /// prunedMass 1.25/5 = 0.25, attentionKL 3 ln2 / 5 = 0.4158883083359671. Seed metrics ignore keep policies.
    func testKeepSink() throws {
        let r = try HandWorked.sweep(HandWorked.fiveByFive, tokens: 5,
                                     SweepSetting(selection: .threshold, blockSize: 2, value: 0.3, keep: KeepPolicy(keepSink: true)))
        XCTAssertEqual(r.fullyPrunedRows, 0)
        XCTAssertEqual(r.prunedBlockFraction, 3.0 / 9, accuracy: 1e-15)
        XCTAssertEqual(r.prunedMass, 0.25, accuracy: 1e-15)
        XCTAssertEqual(r.attentionKL, 0.4158883083359671, accuracy: 1e-14)
        XCTAssertEqual(r.seedPrunedFraction, 0.8, accuracy: 1e-15)
        XCTAssertEqual(r.seedKL, 13.018391300320337, accuracy: 1e-11)
    }

    /// keepLocal on the 5×5 case: the query's own block is kept. q2 prunes {0} (ln 2);
    /// q3 keeps block 1, prunes {0} (mass .5, ln 2); q4 keeps block 2, prunes {0, 1} (mass .75, ln 4).
    /// 4 of 9 pruned; prunedMass 1.75/5 = 0.35; attentionKL 4 ln2 / 5 = 0.5545177444479562.
    func testKeepLocal() throws {
        let r = try HandWorked.sweep(HandWorked.fiveByFive, tokens: 5,
                                     SweepSetting(selection: .threshold, blockSize: 2, value: 0.3, keep: KeepPolicy(keepLocal: true)))
        XCTAssertEqual(r.fullyPrunedRows, 0)
        XCTAssertEqual(r.prunedBlockFraction, 4.0 / 9, accuracy: 1e-15)
        XCTAssertEqual(r.prunedMass, 0.35, accuracy: 1e-15)
        XCTAssertEqual(r.attentionKL, 0.5545177444479562, accuracy: 1e-14)
    }

    /// T = 1: one row [1], one visible block, nothing prunable below τ = 1 (1 < 1 is false).
    func testSingleToken() throws {
        for b in [1, 4] {
            let r = try HandWorked.sweep([1], tokens: 1, SweepSetting(selection: .threshold, blockSize: b, value: 1))
            XCTAssertEqual(r.prunedBlockFraction, 0)
            XCTAssertEqual(r.seedPrunedFraction, 0)
            XCTAssertEqual(r.prunedMass, 0)
            XCTAssertEqual(r.attentionKL, 0)
            XCTAssertEqual(r.seedKL, 0)
            XCTAssertEqual(r.fullyPrunedRows, 0)
        }
    }

    /// B = 8 > T = 3: a single visible block per row. τ = 0.6: q0 = [1] kept; q1 = [.5 .5] and
    /// q2 = [.25 .25 .5] have max < .6: fully pruned → dense (2 rows). Pure: 2 of 3 pairs → 2/3.
    func testBlockLargerThanSequence() throws {
        let a: [Float] = [1, 0, 0, 0.5, 0.5, 0, 0.25, 0.25, 0.5]
        let r = try HandWorked.sweep(a, tokens: 3, SweepSetting(selection: .threshold, blockSize: 8, value: 0.6))
        XCTAssertEqual(r.fullyPrunedRows, 2)
        XCTAssertEqual(r.prunedBlockFraction, 0)
        XCTAssertEqual(r.seedPrunedFraction, 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(r.prunedMass, 0)
        XCTAssertEqual(r.attentionKL, 0)
    }

    /// A point that prunes nothing reports exactly zero divergence (rows summing to 1 ± rounding).
    func testNothingPrunedIsExactlyZero() throws {
        let a = SyntheticAttention.layer(heads: 2, tokens: 19)
        let r = try HandWorked.sweep(a, heads: 2, tokens: 19, SweepSetting(selection: .threshold, blockSize: 4, value: 1e-30))
        XCTAssertEqual(r.prunedMass, 0)
        XCTAssertEqual(r.attentionKL, 0)
        XCTAssertEqual(r.prunedBlockFraction, 0)
    }

    /// seedKL with eps = 1e-3 on the 4×4 case, B = 1, τ = 0.5 (per position, one head):
    /// q0 = [1]: nothing pruned, Z = 1: 0.
    /// q1 = [.75 .25]: key 1 pruned, Z_kept = .75, Q = [1, 0] → Q' = [1, 1e-3]:
    ///   .75 ln(.75/1) + .25 ln(.25/1e-3) = −0.21576155433883568 + .25·5.521460917862246 = 1.164603675126726.
    /// q3 = [.0625 .0625 .125 .75]: keys 0–2 pruned, Z_kept = .75, Q = [0 0 0 1]:
    ///   .125 ln(.0625/1e-3) + .125 ln(.125/1e-3) + .75 ln .75
    ///   = .125·4.135166556742355 + .125·4.828313737302301 − 0.21576155433883568 = 0.9046734824167463.
    func testSeedKLWithLargeEpsilon() throws {
        let point = SweepSetting(selection: .threshold, blockSize: 1, value: 0.5)
        let acc = try PerPositionAccumulator(point: point, metric: .seedKL, tokens: 4, heads: 1, layers: 1, seedEpsilon: 1e-3)
        try HandWorked.fourByFour.withUnsafeBufferPointer { try acc.consume(layer: 0, attention: $0) }
        let values = try acc.result().layers[0].values
        XCTAssertEqual(values[0], 0)
        XCTAssertEqual(values[1], 1.164603675126726, accuracy: 1e-12)
        XCTAssertEqual(values[3], 0.9046734824167463, accuracy: 1e-12)
    }

    /// The row sum of seedKL is clamped at 0: row q1 = [.5, .25] (mass .75, not normalised),
    /// nothing pruned at τ = .1, B = 1: Σ P ln(P/(P/.75)) = .75 ln .75 = −0.2157… → 0.
    func testSeedKLClampsAtZero() throws {
        let a: [Float] = [1, 0, 0.5, 0.25]
        let values = try HandWorked.perPosition(a, tokens: 2, SweepSetting(selection: .threshold, blockSize: 1, value: 0.1),
                                                metric: .seedKL)
        XCTAssertEqual(values.values, [0, 0])
    }
}
