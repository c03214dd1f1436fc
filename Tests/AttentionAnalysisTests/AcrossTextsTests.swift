import Foundation
import XCTest
@testable import AttentionAnalysis

final class AcrossTextsTests: XCTestCase {
    /// [1, 2, 3]: mean 2, sample sd 1, t(0.975, 2 dof) = 4.302653 → half width 4.302653/√3 = 2.4841377…
    func testMeanAndInterval() throws {
        let m = try XCTUnwrap(MeanInterval([1, 2, 3]))
        XCTAssertEqual(m.mean, 2)
        XCTAssertEqual(m.n, 3)
        XCTAssertEqual(m.lower!, 2 - 4.302653 / 3.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(m.upper!, 2 + 4.302653 / 3.0.squareRoot(), accuracy: 1e-9)
    }

    /// One text: the mean is that value, the interval is null.
    func testSingleTextHasNoInterval() throws {
        let m = try XCTUnwrap(MeanInterval([0.25]))
        XCTAssertEqual(m, MeanInterval(mean: 0.25, lower: nil, upper: nil, n: 1))
        let json = String(decoding: try JSONEncoder().encode(m), as: UTF8.self)
        XCTAssertTrue(json.contains("\"lower\":null"), json)
        XCTAssertNil(MeanInterval([]))
    }

    /// Tabulated and expanded quantiles against known values: t(1) 12.7062, t(30) 2.0423,
    /// t(60) 2.0003, t(120) 1.9799, large → 1.95996.
    func testStudentQuantiles() {
        XCTAssertEqual(studentT975(degreesOfFreedom: 1), 12.706205, accuracy: 1e-6)
        XCTAssertEqual(studentT975(degreesOfFreedom: 30), 2.042272, accuracy: 1e-6)
        XCTAssertEqual(studentT975(degreesOfFreedom: 60), 2.000298, accuracy: 1e-5)
        XCTAssertEqual(studentT975(degreesOfFreedom: 120), 1.979930, accuracy: 1e-5)
        XCTAssertEqual(studentT975(degreesOfFreedom: 1_000_000), 1.959966, accuracy: 1e-5)
    }

    func testSweepSummaryPerPoint() throws {
        func point(_ kl: Double, _ e2e: Double?) -> SweepPointResult {
            SweepPointResult(selection: .threshold, blockSize: 16, threshold: 0.01, prunedBlockFraction: kl * 10,
                             seedPrunedFraction: 0.5, prunedMass: kl, attentionKL: kl, seedKL: 1, fullyPrunedRows: 2,
                             layers: [], endToEnd: e2e.map { EndToEndMetrics(outputKL: $0, top1Agreement: 1, nllFull: nil, nllPruned: nil) })
        }
        let s = try AcrossTexts.summarize(sweeps: [[point(0.1, 0.01)], [point(0.3, 0.03)]])
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(s[0].attentionKL.mean, 0.2, accuracy: 1e-15)
        // n = 2: sd = 0.1414…, t(1) = 12.706205 → half 12.706205 · 0.1414214 / √2 = 1.2706205.
        XCTAssertEqual(s[0].attentionKL.upper!, 0.2 + 1.2706205, accuracy: 1e-6)
        XCTAssertEqual(s[0].endToEnd?.outputKL.mean ?? -1, 0.02, accuracy: 1e-15)
        XCTAssertNil(s[0].endToEnd?.nllFull)
        XCTAssertThrowsError(try AcrossTexts.summarize(sweeps: [[point(0.1, nil)], []]))
        XCTAssertThrowsError(try AcrossTexts.summarize(sweeps: []))
    }

    func testProfileSummaryPerHead() throws {
        func profile(_ entropy: Double) throws -> AttentionProfile {
            let acc = try ProfileAccumulator(options: ProfileOptions(blockSize: 2, thresholds: [0.2]), tokens: 4, heads: 1, layers: 1)
            try HandWorked.fourByFour.withUnsafeBufferPointer { try acc.consume(layer: 0, attention: $0) }
            var p = try acc.result()
            p.layers[0].heads[0].entropy = entropy
            return p
        }
        let s = try AcrossTexts.summarize(profiles: [profile(1), profile(3)])
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(s[0].entropy.mean, 2)
        XCTAssertEqual(s[0].sinkMass.mean, 0.484375, accuracy: 1e-15)
        XCTAssertEqual(s[0].sinkMass.lower!, 0.484375, accuracy: 1e-15)   // identical values: zero width
    }
}
