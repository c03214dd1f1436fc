import XCTest
@testable import AttentionAnalysis

/// The sweep against the numpy reference: counts exactly, Float64 metrics to 1e-6 relative,
/// fed the same float32 attention. All of a case's points (every rule, block size, value and
/// keep policy) go through one accumulator, as a `pruneSweep` request would.
final class SweepGoldenTests: XCTestCase {
    func testEveryGoldenPointMatchesTheReference() throws {
        for name in GoldenCase.names {
            let golden = try GoldenCase.load(name)
            for threads in [1, 2] {
                let acc = try SweepAccumulator(points: golden.points.map(\.point), tokens: golden.shape.tokens,
                                               heads: golden.shape.heads, layers: golden.shape.layers,
                                               seedEpsilon: golden.seedEpsilon, threadCount: threads)
                for l in 0..<golden.shape.layers {
                    try golden.layer(l).withUnsafeBufferPointer { try acc.consume(layer: l, attention: $0) }
                }
                let results = try acc.result()
                XCTAssertEqual(results.count, golden.points.count)
                for (got, want) in zip(results, golden.points) {
                    compare(got, want.result, "\(name) threads=\(threads) \(want.point)")
                }
            }
        }
    }

    private func compare(_ got: SweepPointResult, _ want: SweepPointResult, _ label: String) {
        XCTAssertEqual(got.selection, want.selection, label)
        XCTAssertEqual(got.blockSize, want.blockSize, label)
        XCTAssertEqual(got.threshold, want.threshold, label)
        XCTAssertEqual(got.fullyPrunedRows, want.fullyPrunedRows, "\(label) fullyPrunedRows")
        // Fractions are ratios of exact counts: equal up to the division's rounding.
        assertClose(got.prunedBlockFraction, want.prunedBlockFraction, "\(label) prunedBlockFraction")
        assertClose(got.seedPrunedFraction, want.seedPrunedFraction, "\(label) seedPrunedFraction")
        assertClose(got.prunedMass, want.prunedMass, "\(label) prunedMass")
        assertClose(got.attentionKL, want.attentionKL, "\(label) attentionKL")
        assertClose(got.seedKL, want.seedKL, "\(label) seedKL")
        XCTAssertEqual(got.layers.count, want.layers.count, label)
        for (g, w) in zip(got.layers, want.layers) {
            XCTAssertEqual(g.layer, w.layer)
            XCTAssertEqual(g.fullyPrunedRows, w.fullyPrunedRows, "\(label) layer \(w.layer) fullyPrunedRows")
            assertClose(g.prunedBlockFraction, w.prunedBlockFraction, "\(label) layer \(w.layer) prunedBlockFraction")
            assertClose(g.prunedMass, w.prunedMass, "\(label) layer \(w.layer) prunedMass")
            assertClose(g.attentionKL, w.attentionKL, "\(label) layer \(w.layer) attentionKL")
            assertClose(g.seedKL, w.seedKL, "\(label) layer \(w.layer) seedKL")
        }
    }
}
