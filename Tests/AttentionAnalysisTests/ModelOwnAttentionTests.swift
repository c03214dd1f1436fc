import XCTest
@testable import AttentionAnalysis

/// The sweep on the Swift forward pass's OWN attention (`GPT2Checkpoint.load` +
/// `GPT2Model.forward` with an `attentionObserver`) against the goldens made from HF's attention.
///
/// The two float32 forward passes differ slightly (`δ` = the largest entrywise difference of the
/// attention, measured here; GPT2Tests bound it by 1e-5). Rule: a threshold decision may flip
/// ONLY for a block whose HF block max is within 1e-4 relative of `τ`. From HF's attention the
/// test counts those near decisions and derives, per layer (see `ThresholdFlipBounds`):
/// - the interval the pruned-block count (`prunedBlockFraction · visible`), the pure-rule count
///   (`seedPrunedFraction`) and `fullyPrunedRows` may take: each near decision may go either way,
///   and a row whose only unpruned blocks are near may fall back to dense (so the count can move
///   by more than the number of near decisions: the row's whole count), nothing else may move;
/// - bounds for `prunedMass`, `attentionKL` and `seedKL`: first-order in `δ` on rows without near
///   blocks (e.g. `|Δ prunedMass| ≤ 2(q+1)δ / (Z − (q+1)δ)` per row), and the range any outcome of
///   the near decisions allows on rows with them; plus 1e-9 relative for summation order.
/// Only threshold points without keep policies are checked here (the rule the 1e-4 statement is
/// about); every rule and keep policy is compared exactly on HF's own attention in `ModelGoldenTests`.
final class ModelOwnAttentionTests: XCTestCase {
    func testThresholdSweepOnSwiftAttentionFlipsOnlyNearThresholdDecisions() throws {
        var checkedPoints = 0, nearTotal = 0, flippedPoints = 0
        for model in ["tiny-peaked", "tiny-legacy"] {
            let swift = try SwiftFixtureModel(directory: ModelGoldenCase.fixtures.appendingPathComponent("models/\(model)"))
            for (m, name) in ModelGoldenCase.names where m == model {
                let golden = try ModelGoldenCase.load(model: model, case: name)
                let hf = try golden.huggingFaceOutputs()
                let own = try swift.run(golden.tokens).attention
                XCTAssertEqual(own.count, hf.attention.count, golden.label)
                let delta = zip(own, hf.attention).reduce(0.0) { max($0, Double(abs($1.0 - $1.1))) }
                XCTAssertLessThanOrEqual(delta, 1e-5, "\(golden.label): Swift attention vs HF")
                let wanted = golden.points.filter { $0.point.selection == .threshold && $0.point.keep == .none }
                XCTAssertGreaterThanOrEqual(wanted.count, 8, golden.label)
                let (l, h, t) = (golden.shape.layers, golden.shape.heads, golden.shape.tokens)
                let acc = try SweepAccumulator(points: wanted.map(\.point), tokens: t, heads: h, layers: l,
                                               seedEpsilon: golden.seedEpsilon)
                for layer in 0..<l {
                    try Array(golden.layer(layer, of: own)).withUnsafeBufferPointer { try acc.consume(layer: layer, attention: $0) }
                }
                for (got, want) in zip(try acc.result(), wanted) {
                    let p = want.point
                    let bounds = ThresholdFlipBounds(attention: hf.attention, layers: l, heads: h, tokens: t,
                                                     blockSize: p.blockSize, tau: p.value, delta: delta,
                                                     seedEpsilon: golden.seedEpsilon)
                    let label = "\(golden.label) τ=\(p.value) B=\(p.blockSize) (δ \(delta))"
                    let flipped = check(got, want.result, bounds, tokens: t, heads: h, blockSize: p.blockSize, label)
                    checkedPoints += 1
                    nearTotal += bounds.layers.reduce(0) { $0 + $1.nearDecisions }
                    flippedPoints += flipped ? 1 : 0
                }
            }
        }
        XCTAssertGreaterThan(checkedPoints, 40)
        // The goldens include τ equal to a real block max, so near decisions must exist.
        XCTAssertGreaterThan(nearTotal, 0)
        print("ModelOwnAttentionTests: \(checkedPoints) points, \(nearTotal) near-threshold decisions, "
              + "\(flippedPoints) points whose counts differ from HF's")
    }

    /// Returns whether any count differs from the golden's.
    private func check(_ got: SweepPointResult, _ want: SweepPointResult, _ bounds: ThresholdFlipBounds,
                       tokens t: Int, heads h: Int, blockSize b: Int, _ label: String) -> Bool {
        let visible = (0..<t).reduce(0) { $0 + $1 / b + 1 } * h
        let all = h * t * ((t + b - 1) / b)
        var flipped = false
        var seedLo = 0.0, seedHi = 0.0
        for (layer, (g, w)) in zip(bounds.layers, zip(got.layers, want.layers)) {
            let where_ = "\(label) layer \(w.layer)"
            let count = g.prunedBlockFraction * Double(visible)
            XCTAssertEqual(count, count.rounded(), accuracy: 1e-6, where_)
            XCTAssert(layer.prunedBlocks.contains(Int(count.rounded())),
                      "\(where_): pruned blocks \(count) outside \(layer.prunedBlocks) (\(layer.nearDecisions) near τ)")
            XCTAssert(layer.fullyPrunedRows.contains(g.fullyPrunedRows),
                      "\(where_): fullyPrunedRows \(g.fullyPrunedRows) outside \(layer.fullyPrunedRows)")
            flipped = flipped || g.fullyPrunedRows != w.fullyPrunedRows || g.prunedBlockFraction != w.prunedBlockFraction
            within(g.prunedMass, w.prunedMass, layer.prunedMass, "\(where_) prunedMass")
            within(g.attentionKL, w.attentionKL, layer.attentionKL, "\(where_) attentionKL")
            within(g.seedKL, w.seedKL, layer.seedKL, "\(where_) seedKL")
            seedLo += Double(layer.seedPrunedBlocks.lowerBound + all - visible) / Double(all)
            seedHi += Double(layer.seedPrunedBlocks.upperBound + all - visible) / Double(all)
        }
        let layers = Double(bounds.layers.count)
        XCTAssert(got.seedPrunedFraction >= seedLo / layers - 1e-12 && got.seedPrunedFraction <= seedHi / layers + 1e-12,
                  "\(label): seedPrunedFraction \(got.seedPrunedFraction) outside [\(seedLo / layers), \(seedHi / layers)]")
        XCTAssertEqual(got.fullyPrunedRows, got.layers.reduce(0) { $0 + $1.fullyPrunedRows }, label)
        within(got.prunedMass, want.prunedMass, bounds.overall(\.prunedMass), "\(label) prunedMass")
        within(got.attentionKL, want.attentionKL, bounds.overall(\.attentionKL), "\(label) attentionKL")
        within(got.seedKL, want.seedKL, bounds.overall(\.seedKL), "\(label) seedKL")
        return flipped
    }

    private func within(_ actual: Double, _ expected: Double, _ bound: Double, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
        let tolerance = bound + 1e-9 * max(abs(actual), abs(expected)) + 1e-12
        XCTAssert(abs(actual - expected) <= tolerance, "\(what): \(actual) vs HF-attention golden \(expected) (bound \(tolerance))",
                  file: file, line: line)
    }
}
