import Foundation
import XCTest
import Kernels
@testable import AttentionAnalysis

/// Tile metrics on `HandWorked.fiveByFive`, Bq = Bk = 2 (see `OracleTilesTests` for its tiles).
final class TileMetricsTests: XCTestCase {
    private let g = TileGeometry(tokens: 5, queryBlockSize: 2, keyBlockSize: 2)

    private func metrics(keeping tiles: [(Int, Int)], cost: Int = 0) -> TileMetricsAccumulator {
        var mask = TileMask(geometry: g)
        for (i, j) in tiles { mask.keep(queryBlock: i, keyBlock: j) }
        var acc = TileMetricsAccumulator()
        HandWorked.fiveByFive.withUnsafeBufferPointer { acc.add(mask: mask, attention: $0, headDim: 3, estimatorMultiplyAdds: cost) }
        return acc
    }

    /// Kept (0,0), (1,1) (the oracle's threshold .3): row 4 falls back (m = 1); rows 2, 3 keep
    /// keys 2…3: m = .5 each (row 2's key 3 is its future). m = (1, 1, .5, .5, 1).
    /// recall .8; recallP5 = the smallest of 5 = .5; attentionKL = 2 ln 2 / 5.
    /// Density 2/6. Computed: two tiles of 4 entries + fallback row 4 (5 keys) = 13 of 15.
    func testThresholdPoint() {
        let acc = metrics(keeping: [(0, 0), (1, 1)], cost: 7)
        XCTAssertEqual(acc.rowRecalls, [1, 1, 0.5, 0.5, 1])
        XCTAssertEqual(acc.recall, 0.8, accuracy: 1e-15)
        XCTAssertEqual(acc.recallP5, 0.5)
        XCTAssertEqual(acc.attentionKL, 2 * log(2.0) / 5, accuracy: 1e-15)
        XCTAssertEqual(acc.tileDensity, 2.0 / 6.0, accuracy: 1e-15)
        XCTAssertEqual(acc.computedFraction, 13.0 / 15.0, accuracy: 1e-15)
        XCTAssertEqual(acc.fallbackRows, 1)
        // Dense: 2·D·15 = 90 multiply-adds for D = 3; the estimator's 7 are 7/90 of that.
        XCTAssertEqual(acc.estimatorMultiplyAdds, 7)
        XCTAssertEqual(acc.estimatorCostFraction, 7.0 / 90.0, accuracy: 1e-15)
    }

    /// Kept (0,0), (1,0), (2,1) (coverage .5): m = (1, 1, .5, .5, .5): recall .7, P5 .5;
    /// density 3/6; computed 4 + 4 + 2 = 10 of 15 (no fallback).
    func testCoveragePoint() {
        let acc = metrics(keeping: [(0, 0), (1, 0), (2, 1)])
        XCTAssertEqual(acc.recall, 0.7, accuracy: 1e-15)
        XCTAssertEqual(acc.recallP5, 0.5)
        XCTAssertEqual(acc.tileDensity, 0.5)
        XCTAssertEqual(acc.computedFraction, 10.0 / 15.0, accuracy: 1e-15)
        XCTAssertEqual(acc.fallbackRows, 0)
    }

    /// Everything kept: recall 1, density 1, computed 4+4+4+2+2+1 = 17 of 15 (diagonal tiles whole).
    func testAllKept() {
        let acc = metrics(keeping: [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2)])
        XCTAssertEqual(acc.recall, 1)
        XCTAssertEqual(acc.attentionKL, 0)
        XCTAssertEqual(acc.tileDensity, 1)
        XCTAssertEqual(acc.computedFraction, 17.0 / 15.0, accuracy: 1e-15)
    }

    func testMergePoolsHeadsAndP5IsTheNearestRank() {
        var a = metrics(keeping: [(0, 0), (1, 1)]), b = metrics(keeping: [(0, 0), (1, 0), (2, 1)])
        a.merge(b)
        XCTAssertEqual(a.rowRecalls.count, 10)
        XCTAssertEqual(a.recall, 0.75, accuracy: 1e-15, "(4 + 3.5) / 10")
        XCTAssertEqual(a.tileDensity, 5.0 / 12.0, accuracy: 1e-15)
        XCTAssertEqual(a.computedFraction, 23.0 / 30.0, accuracy: 1e-15)
        b = TileMetricsAccumulator()
        // 40 values 1/40 … 40/40: ⌈0.05·40⌉ = 2nd smallest; 41 values: ⌈2.05⌉ = 3rd.
        XCTAssertEqual(nearestRankPercentile((1...40).map { Double($0) / 40 }.shuffled(), 0.05), 2.0 / 40)
        XCTAssertEqual(nearestRankPercentile((1...41).map { Double($0) }.reversed(), 0.05), 3)
        XCTAssertEqual(b.recall, 1, "nothing fed")
    }
}
