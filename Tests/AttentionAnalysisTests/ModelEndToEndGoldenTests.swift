import XCTest
@testable import AttentionAnalysis

/// The Swift pruned forward pass (`AttentionIntervention` inside `GPT2Model.forward`, the
/// cascade) and `DenseLogitsReference.compare` against HuggingFace's own pruned forward
/// (`reference.register_pruned_attention`, same rule after the softmax) on the model fixtures.
///
/// Every golden point was chosen by the generator so that each decision of HF's pruned run is at
/// least 1e-3 (relative) from its boundary (`decisionMargin`, asserted here): float32
/// differences between the two forward passes (~1e-7) cannot flip a block, so both sides run
/// the same cascade and differ only by rounding. Let `ε_d` = the largest |Swift − HF| dense
/// logit (measured here against the stored HF logits) and `ε = 4·ε_d` the allowance for the
/// pruned run's logits (the same arithmetic plus one rescale of the kept probabilities, which
/// the 4× covers; HF's pruned logits are not stored, so this is the one assumed number).
/// Tolerances, all derived from those:
/// - `nllFull` within `2ε_d`, `nllPruned` within `2ε` (a log-sum-exp and one logit each move ≤ ε);
/// - `outputKL` within `4ε·√(2·KL) + 4ε²` (first order: ∂KL/∂y = r − p and the z-gradient have
///   ℓ1 norm ≲ √(2·KL) by Pinsker, each logit moving ≤ ε, doubled for safety);
/// - argmax: at every position where HF's top-1 gap exceeds `2ε` (dense: `2ε_d`) the Swift argmax
///   equals HF's; `top1Agreement · T` may differ from HF's only by the positions where a gap is
///   below that (0 on tiny-peaked's cases; tiny-legacy's logits are nearly flat).
final class ModelEndToEndGoldenTests: XCTestCase {
    func testPrunedForwardMatchesHuggingFacePrunedForward() throws {
        var points = 0, pruningPoints = 0
        for model in ["tiny-peaked", "tiny-legacy"] {
            let swift = try SwiftFixtureModel(directory: ModelGoldenCase.fixtures.appendingPathComponent("models/\(model)"))
            for (m, name) in ModelGoldenCase.names where m == model {
                let golden = try ModelGoldenCase.load(model: model, case: name)
                let hf = try golden.huggingFaceOutputs()
                let tokens = golden.tokens, t = tokens.count, v = swift.config.vocabSize
                let dense = try swift.run(tokens).logits
                let epsDense = zip(dense, hf.logits).reduce(0.0) { max($0, Double(abs($1.0 - $1.1))) }
                XCTAssertLessThanOrEqual(epsDense, 1e-4, "\(golden.label): Swift dense logits vs HF")
                let eps = 4 * epsDense
                let reference = try DenseLogitsReference(logits: dense, tokens: tokens, vocabularySize: v)
                XCTAssertGreaterThanOrEqual(golden.endToEnd.count, 4, golden.label)
                for want in golden.endToEnd {
                    let label = "\(golden.label) \(want.point) (ε_d \(epsDense))"
                    if let margin = want.decisionMargin {
                        XCTAssertGreaterThanOrEqual(margin, 1e-3, "\(label): golden point is ill-conditioned")
                    }
                    let intervention = try AttentionIntervention(point: want.point, heads: swift.config.nHead, tokens: t)
                    let pruned = try swift.run(tokens, intervention: intervention, perHead: true).logits
                    let got = try reference.compare(prunedLogits: pruned)
                    points += 1
                    pruningPoints += want.outputKL > 1e-6 ? 1 : 0

                    XCTAssertEqual(got.nllFull == nil, want.nllFull == nil, label)
                    if let g = got.nllFull, let w = want.nllFull { within(g, w, 2 * epsDense, "\(label) nllFull") }
                    if let g = got.nllPruned, let w = want.nllPruned { within(g, w, 2 * eps, "\(label) nllPruned") }
                    within(got.outputKL, want.outputKL, 4 * eps * (2 * want.outputKL).squareRoot() + 4 * eps * eps,
                           "\(label) outputKL")

                    var mayFlip = 0
                    for p in 0..<t {
                        let fullSure = want.top1GapFull[p] > 2 * epsDense, prunedSure = want.top1GapPruned[p] > 2 * eps
                        if fullSure {
                            XCTAssertEqual(argmax(dense, row: p, width: v), want.argmaxFull[p], "\(label) dense argmax at \(p)")
                        }
                        if prunedSure {
                            XCTAssertEqual(argmax(pruned, row: p, width: v), want.argmaxPruned[p], "\(label) pruned argmax at \(p)")
                        }
                        mayFlip += fullSure && prunedSure ? 0 : 1
                    }
                    if model == "tiny-peaked" { XCTAssertEqual(mayFlip, 0, "\(label): top-1 gaps are wide on tiny-peaked") }
                    XCTAssertLessThanOrEqual(abs(got.top1Agreement - want.top1Agreement) * Double(t), Double(mayFlip) + 1e-9,
                                             "\(label) top1Agreement \(got.top1Agreement) vs \(want.top1Agreement)")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(points, 25)
        XCTAssertGreaterThanOrEqual(pruningPoints, 8, "points whose pruning really changes the output")
    }

    /// Pruning each head on the worker that computed it (the daemon's way) and pruning the whole
    /// layer afterwards are the same operation: identical logits and attention, bit for bit.
    func testHeadByHeadAndLayerInterventionsAgreeBitForBit() throws {
        let swift = try SwiftFixtureModel(directory: ModelGoldenCase.fixtures.appendingPathComponent("models/tiny-peaked"))
        let tokens = Array(0..<40).map { ($0 * 29 + 7) % swift.config.vocabSize }
        let dense = try swift.run(tokens)
        for point in [SweepSetting(selection: .threshold, blockSize: 4, value: 0.05),
                      SweepSetting(selection: .topK, blockSize: 8, value: 2, keep: KeepPolicy(keepSink: true))] {
            let make = { try AttentionIntervention(point: point, heads: swift.config.nHead, tokens: tokens.count) }
            let byLayer = try swift.run(tokens, intervention: try make())
            let byHead = try swift.run(tokens, intervention: try make(), perHead: true)
            XCTAssertEqual(byHead.logits, byLayer.logits, "\(point)")
            XCTAssertEqual(byHead.attention, byLayer.attention, "\(point)")
            XCTAssertNotEqual(byHead.logits, dense.logits, "\(point) prunes something")
        }
    }

    private func within(_ actual: Double, _ expected: Double, _ bound: Double, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssert(abs(actual - expected) <= bound + 1e-12, "\(what): \(actual) vs HF \(expected) (bound \(bound))",
                  file: file, line: line)
    }

    /// First index of the largest value in row `row` of a `(T, width)` array.
    private func argmax(_ a: [Float], row: Int, width: Int) -> Int {
        var best = row * width
        for i in (row * width)..<((row + 1) * width) where a[i] > a[best] { best = i }
        return best - row * width
    }
}
