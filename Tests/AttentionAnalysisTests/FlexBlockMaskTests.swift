import XCTest
import Kernels
@testable import AttentionAnalysis

/// `FlexBlockMask` on the 5-token, Bq = Bk = 2 geometry (query blocks {0,1}, {2,3}, {4}).
final class FlexBlockMaskTests: XCTestCase {
    private let g = TileGeometry(tokens: 5, queryBlockSize: 2, keyBlockSize: 2)

    private func mask(_ tiles: [(Int, Int)]) -> TileMask {
        var m = TileMask(geometry: g)
        for (i, j) in tiles { m.keep(queryBlock: i, keyBlock: j) }
        return m
    }

    /// Head 0 keeps (0,0), (1,0), (1,1), (2,0), (2,2); head 1 the diagonal only.
    /// Partial tiles: (0,0) and (1,1) (they hold key > query); (2,2) = q4 × k4 is full, as are
    /// the off-diagonal ones. Nq = Nk = 3: kv_* lists (0,0) | (1,1) | —, full lists — | 0 | 0, 2.
    func testPartialAndFullTilesByHand() throws {
        let flex = try FlexBlockMask(masks: [[mask([(0, 0), (1, 0), (1, 1), (2, 0), (2, 2)]), mask([(0, 0), (1, 1), (2, 2)])]])
        XCTAssertEqual(flex.kvNumBlocks, [1, 1, 0, 1, 1, 0])
        XCTAssertEqual(flex.kvIndices, [0, 0, 0, 1, 0, 0, 0, 0, 0,
                                        0, 0, 0, 1, 0, 0, 0, 0, 0])
        XCTAssertEqual(flex.fullKvNumBlocks, [0, 1, 2, 0, 0, 1])
        XCTAssertEqual(flex.fullKvIndices, [0, 0, 0, 0, 0, 0, 0, 2, 0,
                                            0, 0, 0, 0, 0, 0, 2, 0, 0])
    }

    func testMasksABlockMaskCannotSayAreRefused() {
        // Only (1,1) kept in block 1 but nothing in block 0: rows 0 and 1 fall back to dense.
        XCTAssertThrowsError(try FlexBlockMask(masks: [[mask([(1, 1), (2, 2)])]])) { error in
            XCTAssertTrue("\(error)".contains("masks[0][0]") && "\(error)".contains("query 0"), "\(error)")
        }
        XCTAssertThrowsError(try FlexBlockMask(masks: [[mask([(0, 0), (1, 1), (2, 2)])], []])) { error in
            XCTAssertTrue("\(error)".contains("masks[1]"), "\(error)")
        }
        let other = TileMask(geometry: TileGeometry(tokens: 5, queryBlockSize: 1, keyBlockSize: 2), keepingAllVisible: true)
        XCTAssertThrowsError(try FlexBlockMask(masks: [[mask([(0, 0), (1, 1), (2, 2)]), other]]))
    }

    /// With `allowingFallback`, rows 0 and 1 (block 0 keeps nothing) are listed in `denseRows`
    /// and the tile arrays stay the kept tiles: (1,1) partial, (2,2) full; nothing for block 0.
    func testFallbackRowsAreListedApart() throws {
        let flex = try FlexBlockMask(masks: [[mask([(1, 1), (2, 2)]), mask([(0, 0), (1, 1), (2, 2)])]], allowingFallback: true)
        XCTAssertEqual(flex.denseRows, [1, 1, 0, 0, 0,
                                        0, 0, 0, 0, 0])
        XCTAssertEqual(flex.fallbackRows, 2)
        XCTAssertEqual(flex.kvNumBlocks, [0, 1, 0, 1, 1, 0])
        XCTAssertEqual(flex.kvIndices, [0, 0, 0, 1, 0, 0, 0, 0, 0,
                                        0, 0, 0, 1, 0, 0, 0, 0, 0])
        XCTAssertEqual(flex.fullKvNumBlocks, [0, 0, 1, 0, 0, 1])
        XCTAssertEqual(flex.fullKvIndices, [0, 0, 0, 0, 0, 0, 2, 0, 0,
                                            0, 0, 0, 0, 0, 0, 2, 0, 0])
        XCTAssertEqual(try FlexBlockMask(masks: [[mask([(0, 0), (1, 1), (2, 2)])]]).denseRows, [0, 0, 0, 0, 0])
    }
}
