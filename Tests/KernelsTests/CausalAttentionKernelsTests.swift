import Foundation
import XCTest
@testable import Kernels

/// Per-head causal attention products against plain loops: probabilities (scores, scale,
/// causal softmax with exact zeros) and probabilities · V, on sizes that cross the 14-row and
/// 32-column tiles and the 256-key block. Tolerance 1e-6 on probabilities, 1e-5 on outputs.
final class CausalAttentionKernelsTests: XCTestCase {
    private func check(tokens t: Int, headDim d: Int, seed: UInt64) {
        var rng = SeededFloats(seed: seed)
        let ld = 3 * d + 5                                   // q | k | v | padding per row
        let qkv = rng.array(t * ld, scale: 1.5)
        let scale = 1 / Float(d).squareRoot()
        var probs = [Float](repeating: .nan, count: t * t)
        var out = [Float](repeating: .nan, count: t * (d + 2))
        var scratch = [Float](repeating: 0, count: CausalAttentionKernels.scratchCount(tokens: t, headDim: d))
        qkv.withUnsafeBufferPointer { qp in
            let base = qp.baseAddress!
            probs.withUnsafeMutableBufferPointer { pp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    CausalAttentionKernels.probabilities(q: base, k: base + d, ld: ld, tokens: t, headDim: d, scale: scale,
                                                         probs: pp.baseAddress!, scratch: sp.baseAddress!)
                    out.withUnsafeMutableBufferPointer { op in
                        CausalAttentionKernels.weightedValues(probs: pp.baseAddress!, v: base + 2 * d, ld: ld, tokens: t, headDim: d,
                                                              out: op.baseAddress!, ldOut: d + 2, scratch: sp.baseAddress!)
                    }
                }
            }
        }
        for q in 0..<t {
            var scores = [Double](repeating: 0, count: q + 1)
            for k in 0...q {
                var s = 0.0
                for i in 0..<d { s += Double(qkv[q * ld + i]) * Double(qkv[k * ld + d + i]) }
                scores[k] = s * Double(scale)
            }
            let m = scores.max()!
            let z = scores.map { exp($0 - m) }.reduce(0, +)
            var row = [Double](repeating: 0, count: t)
            for k in 0...q { row[k] = exp(scores[k] - m) / z }
            for k in 0..<t {
                if k > q { XCTAssertEqual(probs[q * t + k], 0, "T \(t) q \(q) k \(k): masked must be exactly 0") }
                else { XCTAssertEqual(Double(probs[q * t + k]), row[k], accuracy: 1e-6, "T \(t) D \(d) q \(q) k \(k)") }
            }
            for i in 0..<d {
                var s = 0.0
                for k in 0...q { s += Double(probs[q * t + k]) * Double(qkv[k * ld + 2 * d + i]) }
                XCTAssertEqual(Double(out[q * (d + 2) + i]), s, accuracy: 1e-5, "T \(t) D \(d) out q \(q) i \(i)")
            }
            XCTAssertTrue(out[q * (d + 2) + d].isNaN, "padding columns untouched")
        }
    }

    func testOneToken() { check(tokens: 1, headDim: 1, seed: 21) }
    func testOddSizes() { check(tokens: 19, headDim: 13, seed: 22) }
    func testCrossesTilesAndKeyBlock() { check(tokens: 270, headDim: 40, seed: 23) }
    func testGPT2HeadWidth() { check(tokens: 45, headDim: 64, seed: 24) }
    /// T = 512: P's rows are 2 KiB apart, so P·V copies each 14-row block to a padded stride
    /// (`Gemm.rowsAliasInL1`); the result must not change.
    func testRowStrideThatAliasesInL1() {
        XCTAssertTrue(Gemm.rowsAliasInL1(lda: 512))
        check(tokens: 512, headDim: 64, seed: 25)
    }
}
