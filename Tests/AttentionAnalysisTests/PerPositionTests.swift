import XCTest
@testable import AttentionAnalysis

final class PerPositionTests: XCTestCase {
    /// Two heads (the 4×4 hand matrix twice, the second with q2 = [.25 .25 .5]), B = 2, τ = .2,
    /// prunedMass: head 0 = [0, 0, .25, .125]; head 1 q2 keeps both blocks (max .25 ≥ .2): [0, 0, 0, .125].
    /// Mean over heads: [0, 0, .125, .125]; segments of 3: [0, 3) mean .125/3, [3, 4) mean .125.
    func testMeanOverHeadsAndSegments() throws {
        var second = HandWorked.fourByFour
        second[8] = 0.25; second[9] = 0.25; second[10] = 0.5
        let layer = try HandWorked.perPosition(HandWorked.fourByFour + second, heads: 2, tokens: 4,
                                               SweepSetting(selection: .threshold, blockSize: 2, value: 0.2),
                                               metric: .prunedMass, segmentSize: 3)
        XCTAssertEqual(layer.values, [0, 0, 0.125, 0.125])
        XCTAssertEqual(layer.segments, [PositionSegment(start: 0, end: 3, mean: 0.125 / 3), PositionSegment(start: 3, end: 4, mean: 0.125)])
    }

    func testPerPositionMatchesTheReference() throws {
        for name in GoldenCase.names {
            let golden = try GoldenCase.load(name)
            for want in golden.perPosition {
                let acc = try PerPositionAccumulator(
                    point: SweepSetting(selection: want.selection, blockSize: want.blockSize, value: want.threshold),
                    metric: want.metric, segmentSize: want.segmentSize, tokens: golden.shape.tokens,
                    heads: golden.shape.heads, layers: golden.shape.layers, seedEpsilon: golden.seedEpsilon)
                for l in 0..<golden.shape.layers {
                    try golden.layer(l).withUnsafeBufferPointer { try acc.consume(layer: l, attention: $0) }
                }
                let got = try acc.result()
                for (g, w) in zip(got.layers, want.layers) {
                    XCTAssertEqual(g.values.count, w.values.count)
                    for (i, (a, b)) in zip(g.values, w.values).enumerated() {
                        assertClose(a, b, "\(name) \(want.metric) layer \(w.layer) position \(i)")
                    }
                    XCTAssertEqual(g.segments?.map(\.start), w.segments?.map(\.start))
                    XCTAssertEqual(g.segments?.map(\.end), w.segments?.map(\.end))
                    for (a, b) in zip(g.segments ?? [], w.segments ?? []) {
                        assertClose(a.mean, b.mean, "\(name) \(want.metric) segment \(b.start)")
                    }
                }
            }
        }
    }
}
