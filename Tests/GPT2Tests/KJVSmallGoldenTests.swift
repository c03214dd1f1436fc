import Foundation
import XCTest
@testable import GPT2

/// The Swift forward pass on the trained demo model `Models/kjv-small` (F16 weights, GPT-2's
/// 50,257-id vocabulary) against HuggingFace transformers' outputs
/// (`Models/kjv-small/make_goldens.py`: weights widened to float32, eager attention).
///
/// Tolerances (absolute), several times the largest difference measured on this machine:
/// logits 1e-4 at the sampled ids and on the log-sum-exp, attention 5e-5, hidden states 5e-4 (measured:
/// 2.5e-5, 6.7e-6, 9.1e-6, 5.3e-5);
/// each row's top 5 ids in HF's order unless two of them are within 1e-4 of each other.
final class KJVSmallGoldenTests: XCTestCase {
    struct Case: Decodable {
        let text: String
        let tokens: [Int]
        let sampledIds: [Int]
        let top5: [[Int]]
        let nll: Double
    }

    private var reference: URL { FixturePaths.root.appendingPathComponent("reference/kjv-small") }

    private func cases() throws -> [(String, Case)] {
        let data = try Data(contentsOf: reference.appendingPathComponent("index.json"))
        return try JSONDecoder().decode([String: Case].self, from: data).sorted { $0.key < $1.key }
    }

    func testTokenizerGivesHuggingFaceIDs() throws {
        let tokenizer = try BPETokenizer(directory: FixturePaths.kjvSmall)
        let all = try cases()
        XCTAssertEqual(all.count, 2)
        for (label, c) in all {
            XCTAssertEqual(tokenizer.encode(c.text), c.tokens, label)
        }
    }

    func testCheckpointIsF16WithGPT2Vocabulary() throws {
        let ckpt = try GPT2Checkpoint.load(directory: FixturePaths.kjvSmall)
        let cfg = ckpt.config
        XCTAssertEqual([cfg.vocabSize, cfg.nLayer, cfg.nHead, cfg.nEmbd, cfg.nPositions], [50257, 4, 4, 128, 512])
        let file = try SafetensorsFile(url: FixturePaths.kjvSmall.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(file.info("transformer.wte.weight")?.dtype, .f16)
    }

    func testForwardMatchesHuggingFace() throws {
        let ckpt = try GPT2Checkpoint.load(directory: FixturePaths.kjvSmall)
        let model = GPT2Model(weights: ckpt.weights)
        let cfg = ckpt.config
        let V = cfg.vocabSize
        var worst = (logits: Float(0), lse: Double(0), attention: Float(0), hidden: Float(0))
        for (label, c) in try cases() {
            let ref = try SafetensorsFile(url: reference.appendingPathComponent("\(label).safetensors"))
            let refSampled = try ref.floatTensor("sampled_logits")   // (T, S)
            let refLSE = try ref.floatTensor("logsumexp")            // (T,)
            let refAttn = try ref.floatTensor("attentions")          // (L, H, T, T)
            let refHidden = try ref.floatTensor("hidden_states")     // (L+1, T, C)
            let T = c.tokens.count, S = c.sampledIds.count
            XCTAssertEqual(refSampled.shape, [T, S], label)

            var attention: [[Float]] = []
            var options = ForwardOptions()
            options.keepHiddenStates = true
            options.attentionObserver = { _, probs in attention.append(Array(probs)) }
            let out = try model.forward(tokens: c.tokens, options: options)
            let logits = try XCTUnwrap(out.logits)                   // (T, V)

            var nll = 0.0
            for t in 0..<T {
                let row = Array(logits[(t * V)..<((t + 1) * V)])    // (V,)
                for (s, id) in c.sampledIds.enumerated() {
                    worst.logits = max(worst.logits, abs(row[id] - refSampled.buffer[t * S + s]))
                }
                let peak = Double(row.max()!)
                let lse = peak + log(row.reduce(0.0) { $0 + exp(Double($1) - peak) })
                worst.lse = max(worst.lse, abs(lse - Double(refLSE.buffer[t])))
                if t + 1 < T { nll -= Double(row[c.tokens[t + 1]]) - lse }
                let order = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(5)
                for (rank, (got, want)) in zip(order, c.top5[t]).enumerated() where got != want {
                    XCTAssertLessThanOrEqual(abs(row[got] - row[want]), 1e-4, "\(label) row \(t) top-5 rank \(rank)")
                }
            }
            XCTAssertEqual(nll / Double(T - 1), c.nll, accuracy: 1e-4, "\(label) next-token NLL (nats)")

            XCTAssertEqual(attention.count, cfg.nLayer)
            let perLayer = cfg.nHead * T * T
            for l in 0..<cfg.nLayer {
                for i in 0..<perLayer { worst.attention = max(worst.attention, abs(attention[l][i] - refAttn.buffer[l * perLayer + i])) }
            }
            let hidden = try XCTUnwrap(out.hiddenStates)
            XCTAssertEqual(hidden.count, cfg.nLayer + 1)
            let perState = T * cfg.nEmbd
            for i in 0..<hidden.count {
                for j in 0..<perState { worst.hidden = max(worst.hidden, abs(hidden[i][j] - refHidden.buffer[i * perState + j])) }
            }
            withExtendedLifetime((refSampled, refLSE, refAttn, refHidden, ref)) {}
        }
        XCTAssertLessThanOrEqual(worst.logits, 1e-4, "sampled logits")
        XCTAssertLessThanOrEqual(worst.lse, 1e-4, "log-sum-exp")
        XCTAssertLessThanOrEqual(worst.attention, 5e-5, "attention probabilities")
        XCTAssertLessThanOrEqual(worst.hidden, 5e-4, "hidden states")
        print("KJVSmallGoldenTests: largest |Swift − HF|: logits \(worst.logits), log-sum-exp \(worst.lse), "
              + "attention \(worst.attention), hidden \(worst.hidden)")
    }
}
