import Foundation
import GPT2
import XCTest
@testable import AttentionAnalysis

/// HuggingFace's sliding-window perplexity (the guide's loop, `Tests/Fixtures/reference/corpus/
/// generate.py`) against the Swift forward pass scored by `WindowLogitsScorer` and combined by
/// `CorpusNLL`, dense and with HF's own pruned forward, on tiny-peaked and `corpus.txt` (789
/// tokens; maxLength/stride 128/64, 128/128, 40/27, each ending in a short window).
///
/// Counts and the window plan must match exactly; per-window losses and the guide's float32 sums to
/// 1e-5 relative, the Float64 NLLs to 1e-6 (measured: ≤ 2e-8; weighting windows by their
/// predictions instead of trg_len − 1 moves the NLL by ~1.5e-5 on this corpus, so 1e-6 tells the two apart). Every golden setting's
/// block decisions (in every window of HF's pruned run) are at least `minMargin` (relative) from
/// their boundary, so the two cascades make the same decisions.
final class CorpusGoldenTests: XCTestCase {
    struct Golden: Decodable {
        let tokens: [Int]
        let minMargin: Double
        let cases: [Case]
    }
    struct Case: Decodable {
        let maxLength: Int, stride: Int
        let windows: [Window]
        let tokensScored: Int, predictionsScored: Int
        let guideNLL: Double, nll: Double
        let settings: [Setting]
    }
    struct Window: Decodable {
        let begin: Int, end: Int, targetLength: Int, predictions: Int, guideWeight: Int
        let loss: Double, denseNLLSum: Double
    }
    struct Setting: Decodable {
        let selection: String, blockSize: Int, threshold: Double, keepSink: Bool, keepLocal: Bool
        let decisionMargin: Double?
        let guideNLL: Double, nll: Double
        let deltaNLL: MeanInterval
        let outputKL: Double, top1Agreement: Double

        var point: SweepSetting {
            SweepSetting(selection: SelectionRule(rawValue: selection)!, blockSize: blockSize, value: threshold,
                         keep: KeepPolicy(keepSink: keepSink, keepLocal: keepLocal))
        }
    }

    static let corpusFolder = ModelGoldenCase.fixtures.appendingPathComponent("reference/corpus")

    private func relative(_ a: Double, _ b: Double, _ tolerance: Double, _ what: String,
                          file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(a - b), tolerance * max(abs(a), abs(b)), "\(what): \(a) vs HF \(b)", file: file, line: line)
    }

    func testDenseAndPrunedPerplexityMatchHuggingFacesGuide() throws {
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Self.corpusFolder.appendingPathComponent("golden_tiny-peaked.json")))
        let modelFolder = ModelGoldenCase.fixtures.appendingPathComponent("models/tiny-peaked")
        let tokenizer = try BPETokenizer(directory: modelFolder)
        let text = try String(contentsOf: Self.corpusFolder.appendingPathComponent("corpus.txt"), encoding: .utf8)
        XCTAssertEqual(tokenizer.encode(text), golden.tokens, "the Swift tokenizer splits the corpus as HF's")
        let swift = try SwiftFixtureModel(directory: modelFolder)
        XCTAssertEqual(golden.cases.count, 3)
        var prunedSettings = 0
        for c in golden.cases {
            let label = "maxLength \(c.maxLength) stride \(c.stride)"
            let plan = try SlidingWindowPlan(tokenCount: golden.tokens.count, maxLength: c.maxLength, stride: c.stride)
            XCTAssertEqual(plan.windows.map { [$0.begin, $0.end, $0.targetLength, $0.predictions, $0.guideWeight] },
                           c.windows.map { [$0.begin, $0.end, $0.targetLength, $0.predictions, $0.guideWeight] }, label)
            XCTAssertEqual(plan.guideTokenCount, c.tokensScored, label)
            XCTAssertEqual(plan.predictionCount, c.predictionsScored, label)
            XCTAssertLessThan(c.windows.last!.end - c.windows.last!.begin, c.maxLength, "\(label): a short last window")
            for s in c.settings {
                // nil: no decision of the pruned run could flip (e.g. topK k ≥ the blocks of every row).
                XCTAssertGreaterThanOrEqual(s.decisionMargin ?? .infinity, golden.minMargin, "\(label) \(s.point)")
            }
            let scores = try plan.windows.map { window -> WindowScores in
                let tokens = Array(golden.tokens[window.begin..<window.end])
                let scorer = try WindowLogitsScorer(window: window, tokens: tokens, denseLogits: try swift.run(tokens).logits,
                                                    vocabularySize: swift.config.vocabSize)
                let settings = try c.settings.map { s -> SettingWindowScores in
                    let intervention = try AttentionIntervention(point: s.point, heads: swift.config.nHead, tokens: tokens.count)
                    return try scorer.score(prunedLogits: try swift.run(tokens, intervention: intervention, perHead: true).logits)
                }
                return WindowScores(window: window, denseNLLSum: scorer.denseNLLSum, settings: settings)
            }
            for (got, want) in zip(scores, c.windows) where want.predictions > 0 {
                relative(try XCTUnwrap(got.denseMeanNLL), want.loss, 1e-5, "\(label) window \(got.window.index) loss")
            }
            let summary = try CorpusNLL.summarize(scores)
            XCTAssertEqual(summary.windows, c.windows.count)
            XCTAssertEqual(summary.tokensScored, c.tokensScored)
            XCTAssertEqual(summary.predictionsScored, c.predictionsScored)
            relative(summary.denseNLL, c.nll, 1e-6, "\(label) dense NLL")
            relative(summary.denseNLL, c.guideNLL, 1e-5, "\(label) dense NLL (the guide's float32 sum)")
            for (got, want) in zip(summary.settings, c.settings) {
                let what = "\(label) \(want.point)"
                relative(got.nll, want.nll, 1e-6, "\(what) NLL")
                relative(got.nll, want.guideNLL, 1e-5, "\(what) NLL (the guide's float32 sum)")
                // ΔNLL is a difference of two close NLLs: its error is bounded by theirs.
                XCTAssertEqual(got.deltaNLL.mean, want.deltaNLL.mean, accuracy: 2e-5 * c.nll, what)
                XCTAssertEqual(got.deltaNLL.n, want.deltaNLL.n, what)
                XCTAssertEqual(try XCTUnwrap(got.deltaNLL.upper) - got.deltaNLL.mean,
                               try XCTUnwrap(want.deltaNLL.upper) - want.deltaNLL.mean, accuracy: 2e-5 * c.nll, "\(what) interval")
                XCTAssertEqual(got.outputKL, want.outputKL, accuracy: 1e-3 * want.outputKL + 1e-7, "\(what) outputKL")
                XCTAssertEqual(got.top1Agreement * Double(c.predictionsScored), want.top1Agreement * Double(c.predictionsScored),
                               accuracy: 1e-6, "\(what) top-1 agreements")
                prunedSettings += want.outputKL > 1e-6 ? 1 : 0
            }
        }
        XCTAssertGreaterThanOrEqual(prunedSettings, 6, "settings whose pruning changes the output")
    }
}
