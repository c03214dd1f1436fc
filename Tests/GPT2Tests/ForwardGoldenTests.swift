import Foundation
import XCTest
@testable import GPT2

/// The Swift forward pass against HuggingFace transformers' own outputs for the committed
/// fixtures (`Tests/Fixtures/generate.py`, eager attention, float32).
///
/// Tolerances (absolute): logits 1e-4, attention probabilities 1e-5, hidden states 1e-4;
/// argmax exact. Both are float32 implementations; the differences come from summation order.
final class ForwardGoldenTests: XCTestCase {
    struct Case: Decodable { let text: String; let tokens: [Int] }

    func testTinyPeakedMatchesHuggingFace() throws { try checkModel("tiny-peaked") }
    func testTinyLegacyMatchesHuggingFace() throws { try checkModel("tiny-legacy") }

    /// The tokenizer in each model folder gives HF's ids for every reference text.
    func testFixtureTextsTokenizeToHuggingFaceIDs() throws {
        for name in ["tiny-peaked", "tiny-legacy"] {
            let tokenizer = try BPETokenizer(directory: FixturePaths.model(name))
            for (label, c) in try cases(name) where !c.text.isEmpty {
                XCTAssertEqual(tokenizer.encode(c.text), c.tokens, "\(name)/\(label)")
            }
        }
    }

    private func cases(_ model: String) throws -> [(String, Case)] {
        let data = try Data(contentsOf: FixturePaths.reference(model).appendingPathComponent("index.json"))
        return try JSONDecoder().decode([String: Case].self, from: data).sorted { $0.key < $1.key }
    }

    private func checkModel(_ name: String) throws {
        let ckpt = try GPT2Checkpoint.load(directory: FixturePaths.model(name))
        let model = GPT2Model(weights: ckpt.weights)
        let cfg = ckpt.config
        let all = try cases(name)
        XCTAssertGreaterThanOrEqual(all.count, 3)
        for (label, c) in all {
            let ref = try SafetensorsFile(url: FixturePaths.reference(name).appendingPathComponent("\(label).safetensors"))
            let refLogits = try ref.floatTensor("logits")          // (T, V)
            let refAttn = try ref.floatTensor("attentions")        // (L, H, T, T)
            let refHidden = try ref.floatTensor("hidden_states")   // (L+1, T, C)
            let T = c.tokens.count
            XCTAssertEqual(refLogits.shape, [T, cfg.vocabSize])

            var attention: [[Float]] = []
            var options = ForwardOptions()
            options.keepHiddenStates = true
            options.attentionObserver = { _, probs in attention.append(Array(probs)) }
            let out = try model.forward(tokens: c.tokens, options: options)

            let logits = try XCTUnwrap(out.logits)
            XCTAssertLessThanOrEqual(maxAbsDiff(logits, refLogits.buffer), 1e-4, "\(name)/\(label) logits")
            // argmax per position, exact
            for t in 0..<T {
                XCTAssertEqual(argmax(logits, row: t, width: cfg.vocabSize),
                               argmax(Array(refLogits.buffer), row: t, width: cfg.vocabSize), "\(name)/\(label) argmax at \(t)")
            }
            XCTAssertEqual(attention.count, cfg.nLayer)
            let perLayer = cfg.nHead * T * T
            for l in 0..<cfg.nLayer {
                let slice = UnsafeBufferPointer(rebasing: refAttn.buffer[(l * perLayer)..<((l + 1) * perLayer)])
                XCTAssertLessThanOrEqual(maxAbsDiff(attention[l], slice), 1e-5, "\(name)/\(label) attention layer \(l)")
            }
            let hidden = try XCTUnwrap(out.hiddenStates)
            XCTAssertEqual(hidden.count, cfg.nLayer + 1)
            let perState = T * cfg.nEmbd
            for i in 0..<hidden.count {
                let slice = UnsafeBufferPointer(rebasing: refHidden.buffer[(i * perState)..<((i + 1) * perState)])
                XCTAssertLessThanOrEqual(maxAbsDiff(hidden[i], slice), 1e-4, "\(name)/\(label) hidden state \(i)")
            }
            withExtendedLifetime((refLogits, refAttn, refHidden, ref)) {}
        }
    }

    private func maxAbsDiff(_ a: [Float], _ b: UnsafeBufferPointer<Float>) -> Float {
        XCTAssertEqual(a.count, b.count)
        var m: Float = 0
        for i in 0..<min(a.count, b.count) { m = max(m, abs(a[i] - b[i])) }
        return m
    }

    private func argmax(_ a: [Float], row: Int, width: Int) -> Int {
        var best = row * width
        for i in (row * width)..<((row + 1) * width) where a[i] > a[best] { best = i }
        return best - row * width
    }
}
