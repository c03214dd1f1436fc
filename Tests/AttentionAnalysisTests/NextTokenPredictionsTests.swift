import Foundation
import XCTest
@testable import AttentionAnalysis

final class NextTokenPredictionsTests: XCTestCase {
    func testHandWorkedRowsWithTies() throws {
        // Row 0: [1, 3, 3, 0]: lse = ln(e + 2e³ + 1) = 3.6429…; argmax 1 (first of the tie);
        // top 3 = 1, 2 (tie, lower id first), then 0.
        // Row 1: [0, 0, 0, 0]: lse = ln 4; every logprob −ln 4; top 2 = 0, 1.
        let logits: [Float] = [1, 3, 3, 0, 0, 0, 0, 0]
        let reference = try DenseLogitsReference(logits: logits, tokens: [0, 2], vocabularySize: 4, threadCount: 2)
        let p = reference.predictions(topK: 3)
        let lse0 = log(exp(1.0) + 2 * exp(3.0) + 1)
        XCTAssertEqual(p[0].argmax, 1)
        XCTAssertEqual(p[0].top.map(\.token), [1, 2, 0])
        XCTAssertEqual(p[0].top[0].logprob, 3 - lse0, accuracy: 1e-12)
        XCTAssertEqual(p[0].top[2].logprob, 1 - lse0, accuracy: 1e-12)
        XCTAssertEqual(p[1].argmax, 0)
        XCTAssertEqual(p[1].top.map(\.token), [0, 1, 2])
        XCTAssertEqual(p[1].top[0].logprob, -log(4.0), accuracy: 1e-12)
        // NLL of token 2 after position 0: lse0 − 3.
        XCTAssertEqual(try XCTUnwrap(reference.nll), lse0 - 3, accuracy: 1e-12)
        XCTAssertEqual(reference.predictions(topK: 0).map(\.top.count), [0, 0])
    }

    func testAgreesWithASortOnRandomRows() throws {
        var generator = SystemRandomNumberGenerator()
        let t = 37, v = 1003
        // Coarse values so ties happen often.
        let logits = (0..<(t * v)).map { _ in Float(Int.random(in: -40...40, using: &generator)) / 4 }
        let reference = try DenseLogitsReference(logits: logits, tokens: Array(repeating: 0, count: t), vocabularySize: v, threadCount: 2)
        let predictions = reference.predictions(topK: 7)
        for position in 0..<t {
            let row = Array(logits[(position * v)..<((position + 1) * v)])
            let sorted = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
            let lse = log(row.reduce(0.0) { $0 + exp(Double($1)) })
            XCTAssertEqual(predictions[position].top.map(\.token), Array(sorted.prefix(7)), "position \(position)")
            XCTAssertEqual(predictions[position].argmax, sorted[0])
            for entry in predictions[position].top {
                XCTAssertEqual(entry.logprob, Double(row[entry.token]) - lse, accuracy: 1e-9)
            }
        }
    }
}
