import Foundation
import XCTest
@testable import AttentionAnalysis
import GPT2

/// Goldens written by `Tests/Fixtures/analysis/generate_model_goldens.py`: `reference.py` fed
/// HuggingFace's own attention of the model fixtures (the `attentions` tensor of
/// `Tests/Fixtures/reference/<model>/<case>.safetensors`), and HF's own pruned forward pass.
struct ModelGoldenCase: Decodable {
    struct Profile: Decodable {
        let blockSize: Int
        let thresholds: [Double]
        let entryThreshold: Double
        let layers: [ProfileLayer]
        let summary: ProfileSummary
    }
    struct PerPosition: Decodable {
        let metric: PerPositionMetric
        let selection: SelectionRule
        let blockSize: Int
        let threshold: Double
        let keepSink: Bool
        let keepLocal: Bool
        let segmentSize: Int
        let layers: [PerPositionLayer]
        var point: SweepSetting {
            SweepSetting(selection: selection, blockSize: blockSize, value: threshold,
                       keep: KeepPolicy(keepSink: keepSink, keepLocal: keepLocal))
        }
    }
    /// HF's pruned forward (cascade) against HF's dense forward for one point.
    struct EndToEnd: Decodable {
        let selection: SelectionRule
        let blockSize: Int
        let threshold: Double
        let keepSink: Bool
        let keepLocal: Bool
        let outputKL: Double
        let top1Agreement: Double
        let nllFull: Double?
        let nllPruned: Double?
        /// Smallest relative distance of any decision of HF's pruned run from its boundary
        /// (nil: no decision could flip).
        let decisionMargin: Double?
        /// Per position `[T]`: HF's argmax and largest-minus-second logit, dense and pruned.
        let argmaxFull: [Int]
        let top1GapFull: [Double]
        let argmaxPruned: [Int]
        let top1GapPruned: [Double]
        var point: SweepSetting {
            SweepSetting(selection: selection, blockSize: blockSize, value: threshold,
                       keep: KeepPolicy(keepSink: keepSink, keepLocal: keepLocal))
        }
    }

    let model: String
    let `case`: String
    let tokens: [Int]
    let shape: GoldenCase.Shape
    let seedEpsilon: Double
    /// Float64 sum of the stored attention `(L, H, T, T)`.
    let attentionSum: Double
    let points: [GoldenCase.Point]
    let profile: Profile
    let perPosition: [PerPosition]
    let endToEnd: [EndToEnd]

    /// Every (model, case) the generator writes.
    static let names: [(model: String, case: String)] = [
        ("tiny-peaked", "english"), ("tiny-peaked", "mixed"), ("tiny-peaked", "single"),
        ("tiny-legacy", "english"), ("tiny-legacy", "mixed"), ("tiny-legacy", "full"),
    ]

    /// `Tests/Fixtures/`.
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func load(model: String, case name: String) throws -> ModelGoldenCase {
        let url = fixtures.appendingPathComponent("analysis/model_\(model)_\(name).json")
        return try JSONDecoder().decode(ModelGoldenCase.self, from: Data(contentsOf: url))
    }

    var label: String { "\(model)/\(self.case)" }
    var modelDirectory: URL { Self.fixtures.appendingPathComponent("models/\(model)") }

    /// HF's attention `(L, H, T, T)` and logits `(T, V)` for this case, as stored by generate.py.
    func huggingFaceOutputs() throws -> (attention: [Float], logits: [Float]) {
        let file = try SafetensorsFile(url: Self.fixtures.appendingPathComponent("reference/\(model)/\(self.case).safetensors"))
        let attention = try file.floatTensor("attentions")
        let logits = try file.floatTensor("logits")
        guard attention.shape == [shape.layers, shape.heads, shape.tokens, shape.tokens] else {
            throw FixtureError.shape("attentions \(attention.shape) in \(label)")
        }
        return withExtendedLifetime(file) { (Array(attention.buffer), Array(logits.buffer)) }
    }

    /// Layer `l`'s `(H, T, T)` slice of a `(L, H, T, T)` array.
    func layer(_ l: Int, of all: [Float]) -> ArraySlice<Float> {
        let size = shape.heads * shape.tokens * shape.tokens
        return all[(l * size)..<((l + 1) * size)]
    }
}

enum FixtureError: Error { case shape(String) }

/// The Swift forward pass on a model fixture, one instance per model (loaded once per test).
struct SwiftFixtureModel {
    let model: GPT2Model
    var config: GPT2Config { model.config }

    init(directory: URL) throws {
        model = GPT2Model(weights: try GPT2Checkpoint.load(directory: directory).weights, threads: 2)
    }

    /// Logits `(T, V)` and every layer's attention `(L, H, T, T)` as it multiplies V (after
    /// `intervention`, applied per head on the forward pass's workers when `perHead`, as the
    /// daemon does, else per layer).
    func run(_ tokens: [Int], intervention: AttentionIntervention? = nil, perHead: Bool = false) throws
        -> (logits: [Float], attention: [Float]) {
        var attention: [Float] = []
        var options = ForwardOptions()
        options.attentionObserver = { _, probs in attention.append(contentsOf: probs) }
        if perHead { options.attentionHeadIntervention = intervention?.headClosure }
        else { options.attentionIntervention = intervention?.closure }
        let out = try model.forward(tokens: tokens, options: options)
        return (try XCTUnwrap(out.logits), attention)
    }
}

/// `|a − b| ≤ 1e-12 · max(|a|, |b|)`: for fractions that are ratios of integer counts.
func assertRatio(_ actual: Double, _ expected: Double, _ what: @autoclosure () -> String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssert(abs(actual - expected) <= 1e-12 * max(abs(actual), abs(expected)),
              "\(what()): \(actual) vs expected \(expected)", file: file, line: line)
}

/// `|a − b| ≤ 1e-6 · max(|a|, |b|) + 1e-12`: Float64 metrics from the same float32 attention.
func assertMetric(_ actual: Double, _ expected: Double, _ what: @autoclosure () -> String,
                  file: StaticString = #filePath, line: UInt = #line) {
    XCTAssert(abs(actual - expected) <= 1e-6 * max(abs(actual), abs(expected)) + 1e-12,
              "\(what()): \(actual) vs expected \(expected)", file: file, line: line)
}
