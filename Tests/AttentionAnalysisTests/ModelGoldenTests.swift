import XCTest
@testable import AttentionAnalysis

/// The accumulators fed the SAME attention HuggingFace produced for the model fixtures (read
/// from `Tests/Fixtures/reference/<model>/<case>.safetensors`), against `reference.py` on that
/// attention (`model_*.json`, written by `generate_model_goldens.py`).
///
/// Tolerances: counts (`fullyPrunedRows`) exact; fractions, which are ratios of integer counts
/// (`prunedBlockFraction`, `seedPrunedFraction`, profile sparsities, block fractions, coverage
/// counts), to 1e-12 relative (the divisions and the mean over layers may round differently);
/// Float64 metrics (masses, KLs, entropy) to 1e-6 relative with an absolute floor of 1e-12 for
/// values that are ~0 (the two sides sum the same float32 values in different orders).
final class ModelGoldenTests: XCTestCase {
    func testSweepPointsMatchTheReferenceOnHuggingFaceAttention() throws {
        for (model, name) in ModelGoldenCase.names {
            let golden = try ModelGoldenCase.load(model: model, case: name)
            let hf = try golden.huggingFaceOutputs()
            XCTAssertEqual(hf.attention.reduce(0.0) { $0 + Double($1) }, golden.attentionSum, accuracy: 1e-9,
                           "\(golden.label): the golden was made from this attention")
            XCTAssertGreaterThan(golden.points.count, 40, golden.label)
            let acc = try SweepAccumulator(points: golden.points.map(\.point), tokens: golden.shape.tokens,
                                           heads: golden.shape.heads, layers: golden.shape.layers,
                                           seedEpsilon: golden.seedEpsilon)
            for l in 0..<golden.shape.layers {
                try Array(golden.layer(l, of: hf.attention)).withUnsafeBufferPointer { try acc.consume(layer: l, attention: $0) }
            }
            let results = try acc.result()
            XCTAssertEqual(results.count, golden.points.count)
            for (got, want) in zip(results, golden.points) {
                assertSweepPointMatches(got, want.result, "\(golden.label) \(want.point)",
                                        ratio: { assertRatio($0, $1, $2) }, metric: { assertMetric($0, $1, $2) })
            }
        }
    }

    func testProfileMatchesTheReferenceOnHuggingFaceAttention() throws {
        for (model, name) in ModelGoldenCase.names {
            let golden = try ModelGoldenCase.load(model: model, case: name)
            let hf = try golden.huggingFaceOutputs()
            let p = golden.profile
            XCTAssertEqual(p.blockSize, 4)
            let acc = try ProfileAccumulator(
                options: ProfileOptions(blockSize: p.blockSize, thresholds: p.thresholds, entryThreshold: p.entryThreshold),
                tokens: golden.shape.tokens, heads: golden.shape.heads, layers: golden.shape.layers)
            for l in 0..<golden.shape.layers {
                try Array(golden.layer(l, of: hf.attention)).withUnsafeBufferPointer { try acc.consume(layer: l, attention: $0) }
            }
            let profile = try acc.result()
            XCTAssertEqual(profile.layers.count, p.layers.count)
            for (gl, wl) in zip(profile.layers, p.layers) {
                XCTAssertEqual(gl.layer, wl.layer)
                XCTAssertEqual(gl.heads.count, wl.heads.count)
                for (g, w) in zip(gl.heads, wl.heads) {
                    let label = "\(golden.label) layer \(wl.layer) head \(w.head)"
                    XCTAssertEqual(g.head, w.head)
                    assertProfileFieldsMatch(g, w, label, ratio: { assertRatio($0, $1, $2) }, metric: { assertMetric($0, $1, $2) })
                }
            }
            assertProfileFieldsMatch(ProfileHead(summary: profile.summary), ProfileHead(summary: p.summary),
                                     "\(golden.label) summary", ratio: { assertRatio($0, $1, $2) }, metric: { assertMetric($0, $1, $2) })
        }
    }

    func testPerPositionMatchesTheReferenceOnHuggingFaceAttention() throws {
        for (model, name) in ModelGoldenCase.names {
            let golden = try ModelGoldenCase.load(model: model, case: name)
            let hf = try golden.huggingFaceOutputs()
            XCTAssertEqual(Set(golden.perPosition.map(\.metric)), Set(PerPositionMetric.allCases))
            for want in golden.perPosition {
                let label = "\(golden.label) \(want.metric) \(want.point) segments \(want.segmentSize)"
                let acc = try PerPositionAccumulator(point: want.point, metric: want.metric, segmentSize: want.segmentSize,
                                                     tokens: golden.shape.tokens, heads: golden.shape.heads,
                                                     layers: golden.shape.layers, seedEpsilon: golden.seedEpsilon)
                for l in 0..<golden.shape.layers {
                    try Array(golden.layer(l, of: hf.attention)).withUnsafeBufferPointer { try acc.consume(layer: l, attention: $0) }
                }
                let got = try acc.result()
                XCTAssertEqual(got.layers.count, want.layers.count, label)
                for (g, w) in zip(got.layers, want.layers) {
                    XCTAssertEqual(g.layer, w.layer)
                    XCTAssertEqual(g.values.count, w.values.count, label)
                    for (q, (a, b)) in zip(g.values, w.values).enumerated() {
                        assertMetric(a, b, "\(label) layer \(w.layer) position \(q)")
                    }
                    let gs = try XCTUnwrap(g.segments), ws = try XCTUnwrap(w.segments)
                    XCTAssertEqual(gs.map(\.start), ws.map(\.start), label)
                    XCTAssertEqual(gs.map(\.end), ws.map(\.end), label)
                    for (a, b) in zip(gs, ws) { assertMetric(a.mean, b.mean, "\(label) layer \(w.layer) segment \(b.start)") }
                }
            }
        }
    }
}
