import Foundation
import XCTest
@testable import AttentionAnalysis

/// Goldens written by `Tests/Fixtures/analysis/reference.py` (a plain numpy/Python
/// implementation of Protocol/README.md §11's definitions) on seeded synthetic causal attention.
struct GoldenCase: Decodable {
    struct Shape: Decodable { let layers: Int; let heads: Int; let tokens: Int }
    struct Point: Decodable {
        let keepSink: Bool
        let keepLocal: Bool
        let result: SweepPointResult
        init(from decoder: Decoder) throws {
            enum Keys: String, CodingKey { case keepSink, keepLocal }
            let c = try decoder.container(keyedBy: Keys.self)
            keepSink = try c.decode(Bool.self, forKey: .keepSink)
            keepLocal = try c.decode(Bool.self, forKey: .keepLocal)
            result = try SweepPointResult(from: decoder)
        }
        var point: SweepSetting {
            SweepSetting(selection: result.selection, blockSize: result.blockSize, value: result.threshold,
                       keep: KeepPolicy(keepSink: keepSink, keepLocal: keepLocal))
        }
    }
    struct Profile: Decodable {
        let blockSize: Int
        let thresholds: [Double]
        let entryThreshold: Double
        let layers: [ProfileLayer]
    }
    struct PerPosition: Decodable {
        let metric: PerPositionMetric
        let selection: SelectionRule
        let blockSize: Int
        let threshold: Double
        let segmentSize: Int
        let layers: [PerPositionLayer]
    }

    struct Pruned: Decodable {
        let selection: SelectionRule
        let blockSize: Int
        let threshold: Double
        let keepSink: Bool
        let keepLocal: Bool
        /// Layer 0 after `prune_probabilities`, `(H, T, T)`.
        let probabilities: [Double]
    }

    let shape: Shape
    let seedEpsilon: Double
    /// `(L, H, T, T)` float32 values written as the Doubles they convert to exactly.
    let attention: [Double]
    let points: [Point]
    let profile: Profile
    let perPosition: [PerPosition]
    let pruned: [Pruned]

    var attentionFloats: [Float] { attention.map { Float($0) } }

    /// One layer's `(H, T, T)` slice.
    func layer(_ l: Int) -> [Float] {
        let size = shape.heads * shape.tokens * shape.tokens
        return Array(attentionFloats[(l * size)..<((l + 1) * size)])
    }

    static let names = ["flat_t9", "peaked_t13", "peaked_t37", "tiny_t24", "bigeps_t20", "single_t1", "scaled_t16"]

    static func load(_ name: String) throws -> GoldenCase {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/analysis/golden_\(name).json")
        return try JSONDecoder().decode(GoldenCase.self, from: Data(contentsOf: url))
    }
}

/// Floats agree to 1e-6 relative (absolute floor 1e-13 for values that are 0 in one of them).
func assertClose(_ actual: Double, _ expected: Double, _ what: @autoclosure () -> String,
                 file: StaticString = #filePath, line: UInt = #line) {
    let tolerance = 1e-6 * max(abs(actual), abs(expected)) + 1e-13
    XCTAssert(abs(actual - expected) <= tolerance, "\(what()): \(actual) vs expected \(expected)", file: file, line: line)
}
