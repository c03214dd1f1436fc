import Foundation
import XCTest
@testable import AttentionAnalysis

final class EndToEndMetricsTests: XCTestCase {
    /// T = 2, V = 2. Full logits [[0, 0], [ln 3, 0]] → softmax [.5 .5], [.75 .25];
    /// pruned [[0, ln 3], [ln 3, 0]] → [.25 .75], [.75 .25]; tokens [0, 1].
    /// KL at 0: .5 ln(.5/.25) + .5 ln(.5/.75) = .5 ln(4/3) = 0.14384103622589042; at 1: 0
    /// → outputKL 0.07192051811294521. Argmax: position 0 full 0 (tie → first), pruned 1; position 1
    /// both 0 → top1 .5. Position 0 predicts token 1: nllFull −ln .5 = ln 2, nllPruned −ln .75;
    /// perplexities 2 and 4/3.
    func testTwoByTwo() throws {
        let ln3 = Float(log(3.0))
        let full = try DenseLogitsReference(logits: [0, 0, ln3, 0], tokens: [0, 1], vocabularySize: 2)
        let m = try full.compare(prunedLogits: [0, ln3, ln3, 0])
        XCTAssertEqual(m.outputKL, 0.07192051811294521, accuracy: 1e-7)   // ln 3 rounded to float
        XCTAssertEqual(m.top1Agreement, 0.5)
        XCTAssertEqual(m.nllFull!, log(2.0), accuracy: 1e-15)
        XCTAssertEqual(m.nllPruned!, -log(0.75), accuracy: 1e-7)
        XCTAssertEqual(m.perplexityFull!, 2, accuracy: 1e-14)
        XCTAssertEqual(m.perplexityPruned!, 4.0 / 3, accuracy: 1e-6)
    }

    /// Identical logits give exactly 0 KL and full agreement; V = 21 exercises the 8-lane loops and the tail.
    func testIdenticalLogitsGiveZero() throws {
        let logits = (0..<(3 * 21)).map { Float(sin(Double($0) * 1.7) * 4) }
        let full = try DenseLogitsReference(logits: logits, tokens: [3, 5, 20], vocabularySize: 21)
        let m = try full.compare(prunedLogits: logits)
        XCTAssertEqual(m.outputKL, 0)
        XCTAssertEqual(m.top1Agreement, 1)
        XCTAssertEqual(m.nllFull, m.nllPruned)
    }

    /// V = 21 against a direct element-by-element evaluation of the definitions in this test.
    func testAgainstDirectFormula() throws {
        let t = 3, v = 21
        let a = (0..<(t * v)).map { Float(sin(Double($0) * 1.7) * 4) }
        let b = (0..<(t * v)).map { Float(cos(Double($0) * 0.9) * 3) }
        let tokens = [3, 5, 20]
        let m = try DenseLogitsReference(logits: a, tokens: tokens, vocabularySize: v).compare(prunedLogits: b)
        func logSoftmax(_ z: ArraySlice<Float>) -> [Double] {
            let mx = Double(z.max()!)
            let lse = mx + log(z.reduce(0.0) { $0 + exp(Double($1) - mx) })
            return z.map { Double($0) - lse }
        }
        var kl = 0.0, nllA = 0.0, nllB = 0.0
        for p in 0..<t {
            let la = logSoftmax(a[(p * v)..<(p * v + v)]), lb = logSoftmax(b[(p * v)..<(p * v + v)])
            for k in 0..<v { kl += exp(la[k]) * (la[k] - lb[k]) }
            if p + 1 < t { nllA -= la[tokens[p + 1]]; nllB -= lb[tokens[p + 1]] }
        }
        XCTAssertEqual(m.outputKL, kl / Double(t), accuracy: 1e-12)
        XCTAssertEqual(m.nllFull!, nllA / 2, accuracy: 1e-12)
        XCTAssertEqual(m.nllPruned!, nllB / 2, accuracy: 1e-12)
    }

    /// T = 1: no next token, NLL and perplexity are null (present in JSON as null, never NaN).
    func testSingleTokenHasNullLikelihood() throws {
        let m = try DenseLogitsReference(logits: [1, 2, 3], tokens: [2], vocabularySize: 3).compare(prunedLogits: [1, 2, 3])
        XCTAssertNil(m.nllFull)
        XCTAssertNil(m.perplexityPruned)
        let json = String(decoding: try JSONEncoder().encode(m), as: UTF8.self)
        XCTAssertTrue(json.contains("\"nllFull\":null"), json)
        XCTAssertTrue(json.contains("\"perplexityPruned\":null"), json)
        XCTAssertEqual(try JSONDecoder().decode(EndToEndMetrics.self, from: Data(json.utf8)), m)
    }

    func testRejectsMismatchedShapes() throws {
        XCTAssertThrowsError(try DenseLogitsReference(logits: [1, 2, 3], tokens: [0, 1], vocabularySize: 3))
        XCTAssertThrowsError(try DenseLogitsReference(logits: [1, 2, 3], tokens: [3], vocabularySize: 3))
        let full = try DenseLogitsReference(logits: [1, 2, 3], tokens: [0], vocabularySize: 3)
        XCTAssertThrowsError(try full.compare(prunedLogits: [1, 2]))
    }
}
