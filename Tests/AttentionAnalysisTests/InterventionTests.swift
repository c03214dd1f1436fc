import XCTest
@testable import AttentionAnalysis

final class InterventionTests: XCTestCase {
    /// 4×4, B = 2, τ = .2: q2 = [.125 .125 | .75] → [0 0 1]; q3 = [.0625 .0625 | .125 .75]
    /// → [0 0 .125/.875 .75/.875]; q0, q1 prune nothing and stay bit-identical.
    func testThresholdPrunesAndRenormalises() throws {
        let out = try HandWorked.pruned(HandWorked.fourByFour, tokens: 4, SweepSetting(selection: .threshold, blockSize: 2, value: 0.2))
        XCTAssertEqual(Array(out[0..<8]), Array(HandWorked.fourByFour[0..<8]))
        XCTAssertEqual(Array(out[8..<12]), [0, 0, 1, 0])
        XCTAssertEqual(Array(out[12..<16]), [0, 0, Float(0.125 / 0.875), Float(0.75 / 0.875)])
    }

    /// A fully pruned row (5×5, τ = .3: q3 and q4) is left dense, untouched.
    func testDenseFallbackLeavesRowsUntouched() throws {
        let out = try HandWorked.pruned(HandWorked.fiveByFive, tokens: 5, SweepSetting(selection: .threshold, blockSize: 2, value: 0.3))
        XCTAssertEqual(Array(out[15..<25]), Array(HandWorked.fiveByFive[15..<25]))
        XCTAssertEqual(Array(out[10..<15]), [0, 0, 1, 0, 0])   // q2 = [.25 .25 | .5]: block 0 pruned
    }

    /// keepLocal on the 5×5 case at τ = .3: q4 = [.125 .125 | .25 .25 | .25] keeps only its own
    /// block {4}: [0 0 0 0 1].
    func testKeepLocalKeepsTheQueryBlock() throws {
        let out = try HandWorked.pruned(HandWorked.fiveByFive, tokens: 5,
                                        SweepSetting(selection: .threshold, blockSize: 2, value: 0.3, keep: KeepPolicy(keepLocal: true)))
        XCTAssertEqual(Array(out[20..<25]), [0, 0, 0, 0, 1])
    }

    /// The counts behind `evaluateCorpus`'s prunedBlockFraction. 4×4, B = 2: visible blocks per
    /// head 1 + 1 + 2 + 2 = 6; τ = .2 prunes block 0 of q2 and of q3: 2 of 6. 5×5 at τ = .3:
    /// visible 1 + 1 + 2 + 2 + 3 = 9; q2 prunes block 0, q3 and q4 fall back to dense (nothing
    /// pruned): 1 of 9. Two applications (two layers) count twice.
    func testCountsPrunedAndVisibleBlocks() throws {
        func counts(_ attention: [Float], tokens: Int, _ point: SweepSetting, layers: Int = 1) throws -> (Int, Int) {
            let intervention = try AttentionIntervention(point: point, heads: 1, tokens: tokens)
            for _ in 0..<layers {
                var copy = attention
                try copy.withUnsafeMutableBufferPointer { try intervention.closure(0, $0) }
            }
            return (intervention.prunedBlocks, intervention.visibleBlocks)
        }
        let four = SweepSetting(selection: .threshold, blockSize: 2, value: 0.2)
        XCTAssertTrue(try counts(HandWorked.fourByFour, tokens: 4, four) == (2, 6))
        XCTAssertTrue(try counts(HandWorked.fourByFour, tokens: 4, four, layers: 2) == (4, 12))
        XCTAssertTrue(try counts(HandWorked.fiveByFive, tokens: 5, SweepSetting(selection: .threshold, blockSize: 2, value: 0.3)) == (1, 9))
        // Per head, the worker entry point counts the same.
        let intervention = try AttentionIntervention(point: four, heads: 1, tokens: 4)
        var copy = HandWorked.fourByFour
        try copy.withUnsafeMutableBufferPointer { try intervention.apply(toHead: $0, worker: 0) }
        XCTAssertEqual(intervention.prunedBlocks, 2)
        XCTAssertEqual(intervention.visibleBlocks, 6)
    }

    /// On the goldens' attention the intervention matches reference.py's `prune_probabilities`.
    func testMatchesTheReference() throws {
        for name in GoldenCase.names {
            let golden = try GoldenCase.load(name)
            for want in golden.pruned {
                let t = golden.shape.tokens, h = golden.shape.heads
                let point = SweepSetting(selection: want.selection, blockSize: want.blockSize, value: want.threshold,
                                       keep: KeepPolicy(keepSink: want.keepSink, keepLocal: want.keepLocal))
                let out = try HandWorked.pruned(golden.layer(0), heads: h, tokens: t, point)
                XCTAssertEqual(out.count, want.probabilities.count)
                for (i, (a, b)) in zip(out, want.probabilities).enumerated() {
                    assertClose(Double(a), b, "\(name) \(point) entry \(i)")
                }
                // Every pruned row sums to 1 (within float rounding); the others are untouched.
                let input = golden.layer(0)
                for r in 0..<(h * t) where out[(r * t)..<(r * t + t)] != input[(r * t)..<(r * t + t)] {
                    let sum = out[(r * t)..<(r * t + t)].reduce(0.0) { $0 + Double($1) }
                    XCTAssertEqual(sum, 1, accuracy: 1e-5, "\(name) row \(r)")
                }
            }
        }
    }
}
