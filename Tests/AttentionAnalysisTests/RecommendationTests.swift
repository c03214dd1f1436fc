import XCTest
@testable import AttentionAnalysis

final class RecommendationTests: XCTestCase {
    private func point(_ b: Int, _ tau: Double, fraction: Double, kl: Double, outputKL: Double? = nil) -> SweepPointResult {
        SweepPointResult(selection: .threshold, blockSize: b, threshold: tau, prunedBlockFraction: fraction, seedPrunedFraction: 0,
                         prunedMass: 0, attentionKL: kl, seedKL: 0, fullyPrunedRows: 0, layers: [],
                         endToEnd: outputKL.map { EndToEndMetrics(outputKL: $0, top1Agreement: 1, nllFull: 1, nllPruned: 1) })
    }

    /// Budget 0.01 on attentionKL: block 16 points (.3, .005), (.5, .02), (.4, .01) → (.4, .01)
    /// is the sparsest within budget (≤ is inclusive); block 32's only point (.6, .05) is over → none.
    func testSparsestWithinAttentionBudget() throws {
        let points = [point(16, 0.001, fraction: 0.3, kl: 0.005), point(16, 0.01, fraction: 0.5, kl: 0.02),
                      point(16, 0.005, fraction: 0.4, kl: 0.01), point(32, 0.01, fraction: 0.6, kl: 0.05)]
        let r = try Recommender.recommend(points: points, maxAttentionKL: 0.01)
        XCTAssertEqual(r.map(\.blockSize), [16, 32])
        XCTAssertEqual(r[0].metric, "attentionKL")
        XCTAssertEqual(r[0].point?.threshold, 0.005)
        XCTAssertEqual(r[0].point?.prunedBlockFraction, 0.4)
        XCTAssertNil(r[1].point)
        XCTAssertNotNil(r[1].reason)
    }

    /// With end-to-end results and maxOutputKL the budget applies to outputKL, not attentionKL.
    func testOutputBudgetUsesEndToEnd() throws {
        let points = [point(16, 0.001, fraction: 0.3, kl: 0.5, outputKL: 0.001), point(16, 0.01, fraction: 0.5, kl: 0.001, outputKL: 0.1)]
        let r = try Recommender.recommend(points: points, maxOutputKL: 0.01, maxAttentionKL: 0.01)
        XCTAssertEqual(r[0].metric, "outputKL")
        XCTAssertEqual(r[0].point?.threshold, 0.001)
    }

    /// A point that prunes nothing is within every budget but is never the recommendation:
    /// block 16 (.0, 0) and (.2, .004) → (.2, .004); block 32 has only (.0, 0) points → none, and
    /// the reason says nothing is pruned rather than "over budget".
    func testAPointThatPrunesNothingIsNeverRecommended() throws {
        let points = [point(16, 0.001, fraction: 0, kl: 0), point(16, 0.01, fraction: 0.2, kl: 0.004),
                      point(32, 0.001, fraction: 0, kl: 0), point(32, 0.01, fraction: 0, kl: 0)]
        let r = try Recommender.recommend(points: points, maxAttentionKL: 0.01)
        XCTAssertEqual(r[0].point?.threshold, 0.01)
        XCTAssertNil(r[1].point)
        XCTAssertTrue(r[1].reason?.contains("prunes anything") == true, r[1].reason ?? "")
    }

    func testMissingBudgetThrows() {
        let points = [point(16, 0.001, fraction: 0.3, kl: 0.5)]
        XCTAssertThrowsError(try Recommender.recommend(points: points))
        XCTAssertThrowsError(try Recommender.recommend(points: points, maxOutputKL: 0.1))   // no endToEnd results
        XCTAssertThrowsError(try Recommender.recommend(points: points, maxAttentionKL: -1))
    }
}
