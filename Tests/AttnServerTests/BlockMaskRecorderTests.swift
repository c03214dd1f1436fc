import AttnProtocol
import XCTest
@testable import AttnServer

/// `profileAttention.blockMasks`: the threshold rule's decision per query row, on hand-worked
/// one-head attention.
final class BlockMaskRecorderTests: XCTestCase {
    private func kept(_ rows: [[Float]], blockSize: Int, threshold: Double) throws -> [String] {
        let recorder = try BlockMaskRecorder(thresholds: [threshold], blockSize: blockSize, heads: 1, tokens: rows.count, threadCount: 1)
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
}
