import XCTest
import Kernels
@testable import AttentionAnalysis

/// The oracle tile rule on `HandWorked.fiveByFive` with Bq = Bk = 2, worked out by hand:
///
///     rows (keys 0…q)            tiles (i = query block, j = key block): max / mass
///     q0: 1                      (0,0) q0,q1 × k0,k1: max 1,    mass 1 + .5 + .5 = 2
///     q1: .5  .5                 (1,0) q2,q3 × k0,k1: max .25,  mass 1
///     q2: .25 .25 .5             (1,1) q2,q3 × k2,k3: max .5,   mass .5 + .25 + .25 = 1  (partial)
///     q3: .25 .25 .25 .25        (2,0) q4 × k0,k1:    max .125, mass .25
///     q4: .125 .125 .25 .25 .25  (2,1) q4 × k2,k3:    max .25,  mass .5
///                                (2,2) q4 × k4:       max .25,  mass .25
final class OracleTilesTests: XCTestCase {
    private let g = TileGeometry(tokens: 5, queryBlockSize: 2, keyBlockSize: 2)

    private func mask(_ selection: TileSelection, keep: KeepPolicy = .none) throws -> TileMask {
        try HandWorked.fiveByFive.withUnsafeBufferPointer {
            try OracleTiles.mask(attention: $0, geometry: g, selection: selection, keep: keep)
        }
    }

    func testScoresAreTileMaximaAndMasses() {
        HandWorked.fiveByFive.withUnsafeBufferPointer { a in
            let maxima = OracleTiles.scores(attention: a, geometry: g, selection: .threshold(0.5))
            let masses = OracleTiles.scores(attention: a, geometry: g, selection: .coverage(0.5))
            for (i, j, mx, mass) in [(0, 0, 1.0, 2.0), (1, 0, 0.25, 1), (1, 1, 0.5, 1), (2, 0, 0.125, 0.25),
                                     (2, 1, 0.25, 0.5), (2, 2, 0.25, 0.25)] {
                XCTAssertEqual(maxima[i, j], mx, "max of tile (\(i), \(j))")
                XCTAssertEqual(masses[i, j], mass, "mass of tile (\(i), \(j))")
            }
        }
    }

    func testThresholdCoverageTopK() throws {
        // τ = 0.2: only (2,0) (max .125) goes.
        XCTAssertEqual(TileTestSupport.kept(try mask(.threshold(0.2))), [[0, 0], [1, 0], [1, 1], [2, 1], [2, 2]])
        // τ = 0.3: (1,0) and all of block 2 go; row 4 loses every visible key and falls back.
        let strict = try mask(.threshold(0.3))
        XCTAssertEqual(TileTestSupport.kept(strict), [[0, 0], [1, 1]])
        XCTAssertEqual((0..<5).filter { strict.fallsBack(query: $0) }, [4])
        // coverage .5: block 1 masses (1, 1): the tie keeps j = 0 alone (1 ≥ .5·2); block 2
        // (.25, .5, .25): j = 1 alone reaches .5 ≥ .5·1.
        XCTAssertEqual(TileTestSupport.kept(try mask(.coverage(0.5))), [[0, 0], [1, 0], [2, 1]])
        XCTAssertEqual(TileTestSupport.kept(try mask(.topK(1))), [[0, 0], [1, 0], [2, 1]])
        XCTAssertEqual(TileTestSupport.kept(try mask(.topK(2))), [[0, 0], [1, 0], [1, 1], [2, 0], [2, 1]],
                       "block 2: .5 then the tie .25/.25 goes to the lower block")
        // Row 2 keeps keys 0, 1 of tile (1, 0): its own key 2 is pruned, no fallback.
        XCTAssertFalse(try mask(.coverage(0.5)).fallsBack(query: 2))
    }

    func testKeepPoliciesAddSinkAndDiagonalTiles() throws {
        XCTAssertEqual(TileTestSupport.kept(try mask(.threshold(0.3), keep: KeepPolicy(keepSink: true, keepLocal: true))),
                       [[0, 0], [1, 0], [1, 1], [2, 0], [2, 2]])
    }

    func testOneQueryTilesAreThePerRowRule() throws {
        // Bq = 1, B = 2, coverage .5 by hand: q2 masses (.5, .5) → block 0 alone (tie, lower; .5 ≥ .5·1);
        // q3 (.5, .5) → 0; q4 (.25, .5, .25) → block 1 alone. 5 of the 9 visible (q, j) kept.
        let rows = TileGeometry(tokens: 5, queryBlockSize: 1, keyBlockSize: 2)
        for (selection, rule, value) in [(TileSelection.coverage(0.5), SelectionRule.coverage, 0.5),
                                         (.threshold(0.3), .threshold, 0.3), (.topK(2), .topK, 2)] {
            let m = try HandWorked.fiveByFive.withUnsafeBufferPointer {
                try OracleTiles.mask(attention: $0, geometry: rows, selection: selection)
            }
            if selection == .coverage(0.5) {
                XCTAssertEqual(TileTestSupport.kept(m), [[0, 0], [1, 0], [2, 0], [3, 0], [4, 1]])
            }
            // The per-row sweep counts the same pruned pairs and fallback rows.
            let perRow = try HandWorked.sweep(HandWorked.fiveByFive, tokens: 5,
                                              SweepSetting(selection: rule, blockSize: 2, value: value))
            let fallback = (0..<5).filter { m.fallsBack(query: $0) }
            let keptPairs = m.keptTiles + fallback.reduce(0) { $0 + rows.visibleKeyBlocks(query: $1) - m.keptKeyBlocks(queryBlock: $1).count }
            XCTAssertEqual(1 - Double(keptPairs) / 9, perRow.prunedBlockFraction, accuracy: 1e-12, "\(selection)")
            XCTAssertEqual(fallback.count, perRow.fullyPrunedRows, "\(selection)")
        }
    }

    func testBadSelectionsAreRefusedByName() {
        XCTAssertThrowsError(try mask(.threshold(0))) { error in
            XCTAssertEqual(error as? AnalysisError, .invalidValue(field: "threshold", value: 0, accepted: "a number in (0, 1]"))
        }
        XCTAssertThrowsError(try mask(.window(4))) { XCTAssertTrue("\($0)".contains("selection"), "\($0)") }
        XCTAssertThrowsError(try mask(.topK(0))) { XCTAssertTrue("\($0)".contains("k ≥ 1"), "\($0)") }
    }
}
