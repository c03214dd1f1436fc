import XCTest
@testable import AttentionAnalysis
import SyntheticAttention

/// The sweep's internal paths agree with each other on the same attention.
final class SweepConsistencyTests: XCTestCase {
    private let tokens = 45, heads = 3
    private lazy var layers = (0..<2).map { SyntheticAttention.layer(heads: heads, tokens: tokens, seed: UInt64(7 + $0)) }

    private func run(_ points: [SweepSetting], threads: Int) throws -> [SweepPointResult] {
        let acc = try SweepAccumulator(points: points, tokens: tokens, heads: heads, layers: 2, threadCount: threads)
        for (l, layer) in layers.enumerated() {
            try layer.withUnsafeBufferPointer { try acc.consume(layer: l, attention: $0) }
        }
        return try acc.result()
    }

    /// Heads are summed in order after the threads finish: one and two threads give identical bits.
    func testThreadCountDoesNotChangeResults() throws {
        let points = SweepSetting.grid(selection: .threshold, values: [0.05, 0.01], blockSizes: [8, 16])
            + SweepSetting.grid(selection: .coverage, values: [0.9], blockSizes: [8], keep: KeepPolicy(keepSink: true))
        XCTAssertEqual(try run(points, threads: 1), try run(points, threads: 2))
    }

    /// Block size 16 alone is read 8 keys at a time (piece width 16); next to block size 3 the
    /// piece width is gcd = 1 (per-key scratch path). Both give the same numbers for B = 16.
    func testPieceWidthDoesNotChangeResults() throws {
        let point = SweepSetting(selection: .threshold, blockSize: 16, value: 0.02)
        let wide = try run([point], threads: 1)[0]
        let narrow = try run([point, SweepSetting(selection: .topK, blockSize: 3, value: 2)], threads: 1)[0]
        XCTAssertEqual(wide.fullyPrunedRows, narrow.fullyPrunedRows)
        XCTAssertEqual(wide.prunedBlockFraction, narrow.prunedBlockFraction)
        XCTAssertEqual(wide.seedPrunedFraction, narrow.seedPrunedFraction)
        XCTAssertEqual(wide.prunedMass, narrow.prunedMass, accuracy: 1e-14)
        XCTAssertEqual(wide.attentionKL, narrow.attentionKL, accuracy: 1e-14)
        XCTAssertEqual(wide.seedKL, narrow.seedKL, accuracy: 1e-12 * wide.seedKL)
        XCTAssertGreaterThan(wide.prunedBlockFraction, 0)   // the point prunes something
    }
}
