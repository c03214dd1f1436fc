import Foundation
import XCTest
@testable import AttentionAnalysis

/// The 8-lane log and exp against Foundation's scalar ones.
final class VectorMathTests: XCTestCase {
    func testLogIsAccurateOverTheRangeTheSweepUses() {
        var worst = 0.0
        var x = 1e-300
        while x < 4 {
            let lanes = SIMD8<Double>((0..<8).map { x * (1 + Double($0) * 0.09) })
            let got = vectorLog(lanes)
            for i in 0..<8 {
                let want = log(lanes[i])
                worst = max(worst, abs(got[i] - want) / max(abs(want), 1e-300))
            }
            x *= 1.37
        }
        XCTAssertLessThan(worst, 1e-14)
        XCTAssertEqual(vectorLog(SIMD8<Double>(repeating: 1))[0], 0)
    }

    func testExpIsAccurateAndUnderflowsToZero() {
        var worst = 0.0
        var x = -707.0
        while x <= 0 {
            let lanes = SIMD8<Double>((0..<8).map { min(0, x + Double($0) * 0.013) })
            let got = vectorExpNonPositive(lanes)
            for i in 0..<8 { worst = max(worst, abs(got[i] - exp(lanes[i])) / exp(lanes[i])) }
            x += 0.731
        }
        XCTAssertLessThan(worst, 1e-14)
        XCTAssertEqual(vectorExpNonPositive(SIMD8<Double>(repeating: 0))[0], 1)
        XCTAssertEqual(vectorExpNonPositive(SIMD8<Double>(repeating: -800))[0], 0)
        XCTAssertEqual(vectorExpNonPositive(SIMD8<Double>(repeating: -.infinity))[0], 0)
    }

    /// The documented bound of the degree-11 exponential: within 1e-14 relative of Foundation's
    /// `exp` on 400 000 seeded points of [−60, 0] (the softmax range that matters) and on both
    /// sides of every reduction boundary `(n + ½) ln 2`, where `|r|` is largest.
    func testExpMatchesFoundationOnManyPoints() {
        var state: UInt64 = 99
        var worst = 0.0
        func check(_ lanes: SIMD8<Double>) {
            let got = vectorExpNonPositive(lanes)
            for i in 0..<8 { worst = max(worst, abs(got[i] - exp(lanes[i])) / exp(lanes[i])) }
        }
        for _ in 0..<50_000 {
            var lanes = SIMD8<Double>()
            for i in 0..<8 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                lanes[i] = -60 * Double(state >> 11) / Double(1 << 53)
            }
            check(lanes)
        }
        for n in 0..<100 {
            let edge = -(Double(n) + 0.5) * log(2.0)
            check(SIMD8<Double>((0..<8).map { min(0, edge + Double($0 - 4) * 1e-12) }))
        }
        XCTAssertLessThan(worst, 1e-14)
    }

    /// attentionKL = −log1p(−prunedMass) must stay exact for tiny pruned masses.
    func testLog1pKeepsTinyArguments() {
        let y = SIMD8<Double>(0, -1e-300, -1e-16, -3e-12, -1e-7, -0.25, -0.5, -0.999_999)
        let got = vectorLog1p(y)
        for i in 0..<8 {
            XCTAssertEqual(got[i], log1p(y[i]), accuracy: abs(log1p(y[i])) * 1e-14, "lane \(i)")
        }
    }
}
