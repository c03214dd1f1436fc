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
                    // Fractions are ratios of exact counts: equal up to the division's rounding.
                    assertSweepPointMatches(got, want.result, "\(name) threads=\(threads) \(want.point)",
                                            ratio: { assertClose($0, $1, $2) }, metric: { assertClose($0, $1, $2) })
                }
            }
        }
    }
}
