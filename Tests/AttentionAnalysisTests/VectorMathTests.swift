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

    /// attentionKL = −log1p(−prunedMass) must stay exact for tiny pruned masses.
    func testLog1pKeepsTinyArguments() {
        let y = SIMD8<Double>(0, -1e-300, -1e-16, -3e-12, -1e-7, -0.25, -0.5, -0.999_999)
        let got = vectorLog1p(y)
        for i in 0..<8 {
            XCTAssertEqual(got[i], log1p(y[i]), accuracy: abs(log1p(y[i])) * 1e-14, "lane \(i)")
        }
    }
}
