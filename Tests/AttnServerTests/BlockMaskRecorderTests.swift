import AttnProtocol
import XCTest
@testable import AttnServer

/// `profileAttention.blockMasks`: the threshold rule's decision per query row, on hand-worked
/// one-head attention.
final class BlockMaskRecorderTests: XCTestCase {
    private func kept(_ rows: [[Float]], blockSize: Int, queryBlockSize: Int = 1, threshold: Double) throws -> [String] {
        let recorder = try BlockMaskRecorder(thresholds: [threshold], blockSize: blockSize, queryBlockSize: queryBlockSize, heads: 1,
                                             tokens: rows.count, threadCount: 1)
        let flat = rows.flatMap { $0 }  // (1, T, T)
        try flat.withUnsafeBufferPointer { try recorder.consume(attention: $0) }
        let masks = recorder.result()
        XCTAssertEqual(masks.map(\.threshold), [threshold])
        return try XCTUnwrap(masks.first?.kept.first?.first)
    }

    /// T = 4, B = 2, τ = 0.3:
    /// q0 [1] and q1 [0.9, 0.1] see block 0 only (max ≥ τ): "1".
    /// q2 [0.2, 0.1, 0.7]: block 0 max 0.2 < τ pruned, block 1 kept: "01". q3 [0.1, 0.1, 0.5, 0.3]: "01".
    func testThresholdRuleKeepsBlocksWhoseMaxReachesTau() throws {
        let rows: [[Float]] = [[1, 0, 0, 0], [0.9, 0.1, 0, 0], [0.2, 0.1, 0.7, 0], [0.1, 0.1, 0.5, 0.3]]
        XCTAssertEqual(try kept(rows, blockSize: 2, threshold: 0.3), ["1", "1", "01", "01"])
    }

    /// B = 1, τ = 0.5: q1 [0.6, 0.4] keeps key 0 only; q2 [0.3, 0.35, 0.35] would lose every
    /// block, so it stays dense (§11).
    func testARowTheRuleWouldEmptyStaysDense() throws {
        let rows: [[Float]] = [[1, 0, 0], [0.6, 0.4, 0], [0.3, 0.35, 0.35]]
        XCTAssertEqual(try kept(rows, blockSize: 1, threshold: 0.5), ["1", "10", "111"])
    }

    /// One mask per threshold, in order, per layer and head.
    func testOneMaskPerThresholdLayerAndHead() throws {
        let recorder = try BlockMaskRecorder(thresholds: [0.5, 0.05], blockSize: 1, heads: 2, tokens: 2, threadCount: 1)
        let head: [Float] = [1, 0, 0.9, 0.1]  // (T, T)
        for _ in 0..<3 { try (head + head).withUnsafeBufferPointer { try recorder.consume(attention: $0) } }
        let masks = recorder.result()
        XCTAssertEqual(masks.map(\.threshold), [0.5, 0.05])
        XCTAssertEqual(masks[0].kept.count, 3)
        XCTAssertEqual(masks[0].kept[2], [["1", "10"], ["1", "10"]])
        XCTAssertEqual(masks[1].kept[2], [["1", "11"], ["1", "11"]])
    }

    /// The same rows with Bq = 2, B = 2, τ = 0.3: query block 1 (q2, q3) decides per tile. Tile
    /// (1, 0) holds q2's [0.2, 0.1] and q3's [0.1, 0.1]: max 0.2 < τ, pruned; tile (1, 1) (the
    /// partial diagonal) max 0.7: kept. Tile (0, 0) max 1: kept. Same strings as per row here.
    /// With τ = 0.95 only tile (0, 0) reaches it (q0's 1): q1 keeps "1"; block 1's rows lose
    /// every visible key and fall back to dense, "11".
    func testTilesAreDecidedPerQueryBlock() throws {
        let rows: [[Float]] = [[1, 0, 0, 0], [0.9, 0.1, 0, 0], [0.2, 0.1, 0.7, 0], [0.1, 0.1, 0.5, 0.3]]
        XCTAssertEqual(try kept(rows, blockSize: 2, queryBlockSize: 2, threshold: 0.3), ["1", "1", "01", "01"])
        XCTAssertEqual(try kept(rows, blockSize: 2, queryBlockSize: 2, threshold: 0.95), ["1", "1", "11", "11"])
        // Per row at τ = 0.95, q1's own block max 0.9 is below τ: q1 falls back to dense ("1"), while
        // with tiles q0's entry 1 keeps tile (0, 0) for both rows.
        XCTAssertEqual(try kept(rows, blockSize: 2, threshold: 0.95), ["1", "1", "11", "11"])
        // Bq = 4 over B = 1: one query block; key 2's column max 0.7 ≥ τ = 0.6 and key 0's 1:
        // every row keeps keys 0 and 2 where visible.
        XCTAssertEqual(try kept(rows, blockSize: 1, queryBlockSize: 4, threshold: 0.6), ["1", "10", "101", "1010"])
    }
}
