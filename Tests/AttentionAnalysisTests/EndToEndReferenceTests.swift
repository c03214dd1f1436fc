import Foundation
import XCTest
@testable import AttentionAnalysis

/// `DenseLogitsReference.compare` against a plain scalar Float64 evaluation of Protocol/README.md §11's
/// definitions (Foundation `exp`/`log`, one element at a time), on seeded random logits whose
/// shapes exercise every loop: V = 1 and V not a multiple of 8 or 16 (tails), T = 1, maxima in
/// the tail and repeated maxima (argmax ties: first index). Tolerance: 1e-12 relative on
/// `outputKL` and the NLLs (plus 1e-16 absolute where a position's KL is near 0).
final class EndToEndReferenceTests: XCTestCase {
    private struct Expected {
        var outputKL = 0.0, top1 = 0.0
        var nllFull: Double?, nllPruned: Double?
    }

    /// Scalar reference: per position log-softmax of both rows, KL = Σ p (ln p − ln q).
    private func reference(full: [Float], pruned: [Float], tokens: [Int], v: Int) -> Expected {
        let t = tokens.count
        func logSoftmax(_ row: ArraySlice<Float>) -> [Double] {
            var m = -Double.infinity
            for x in row { m = max(m, Double(x)) }
            var s = 0.0
            for x in row { s += exp(Double(x) - m) }
            let lse = m + log(s)
            return row.map { Double($0) - lse }
        }
        func firstArgmax(_ row: ArraySlice<Float>) -> Int {
            var best = row.startIndex
            for i in row.indices where row[i] > row[best] { best = i }
            return best - row.startIndex
        }
        var e = Expected()
        var agree = 0, nllA = 0.0, nllB = 0.0
        for p in 0..<t {
            let a = full[(p * v)..<(p * v + v)], b = pruned[(p * v)..<(p * v + v)]
            let la = logSoftmax(a), lb = logSoftmax(b)
            var kl = 0.0
            for k in 0..<v { kl += exp(la[k]) * (la[k] - lb[k]) }
            e.outputKL += kl / Double(t)
            if firstArgmax(a) == firstArgmax(b) { agree += 1 }
            if p + 1 < t { nllA -= la[tokens[p + 1]]; nllB -= lb[tokens[p + 1]] }
        }
        e.top1 = Double(agree) / Double(t)
        if t > 1 { e.nllFull = nllA / Double(t - 1); e.nllPruned = nllB / Double(t - 1) }
        return e
    }

    func testMatchesScalarReferenceOnRandomShapes() throws {
        var state: UInt64 = 12345
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        for (t, v) in [(1, 1), (1, 37), (3, 7), (2, 8), (4, 16), (3, 17), (5, 23), (2, 100), (3, 257)] {
            let count = t * v
            var full = (0..<count).map { _ in (uniform() - 0.5) * 20 }           // ±10
            var pruned = full.map { $0 + (uniform() - 0.5) * 0.5 }
            if v > 3 {
                // Position 0: a repeated maximum (tie → first index) in the last entries (the tail).
                full[v - 1] = 30; full[v - 2] = 30; pruned[v - 2] = 30; pruned[v - 1] = 30
            }
            let tokens = (0..<t).map { ($0 * 5 + 1) % v }
            let got = try DenseLogitsReference(logits: full, tokens: tokens, vocabularySize: v, threadCount: 2)
                .compare(prunedLogits: pruned)
            let want = reference(full: full, pruned: pruned, tokens: tokens, v: v)
            let shape = "T=\(t) V=\(v)"
            XCTAssertEqual(got.outputKL, want.outputKL, accuracy: abs(want.outputKL) * 1e-12 + 1e-16, shape)
            XCTAssertEqual(got.top1Agreement, want.top1, shape)
            if let a = want.nllFull, let b = want.nllPruned {
                XCTAssertEqual(got.nllFull ?? .nan, a, accuracy: abs(a) * 1e-12, shape)
                XCTAssertEqual(got.nllPruned ?? .nan, b, accuracy: abs(b) * 1e-12, shape)
            } else {
                XCTAssertNil(got.nllFull, shape)
                XCTAssertNil(got.nllPruned, shape)
            }
        }
    }

    /// Ties: the first of equal maxima is the argmax, whichever 16-lane chunk it is in.
    func testArgmaxTakesTheFirstOfEqualMaxima() throws {
        let v = 40
        var full = [Float](repeating: 0, count: v), pruned = full
        full[3] = 5; full[35] = 5           // argmax 3
        pruned[35] = 5; pruned[20] = 5      // argmax 20
        let m = try DenseLogitsReference(logits: full, tokens: [0], vocabularySize: v).compare(prunedLogits: pruned)
        XCTAssertEqual(m.top1Agreement, 0)
        pruned[3] = 5                       // now 3 again
        let same = try DenseLogitsReference(logits: full, tokens: [0], vocabularySize: v).compare(prunedLogits: pruned)
        XCTAssertEqual(same.top1Agreement, 1)
    }
}
