import Foundation
import XCTest
@testable import Kernels

/// Softmax, layer norm and gelu_new against their formulas evaluated in Double.
final class ElementwiseTests: XCTestCase {
    func testCausalSoftmaxRowsIncludingMaskedTail() {
        var rng = SeededFloats(seed: 11)
        for count in [1, 5, 16, 17, 33, 70] {
            for visible in Set([1, max(1, count / 2), count]) {
                var row = rng.array(count, scale: 8)
                let raw = row
                let scale: Float = 0.35
                row.withUnsafeMutableBufferPointer { Softmax.causalRow($0.baseAddress!, visible: visible, count: count, scale: scale) }
                let scaled = raw[0..<visible].map { Double($0) * Double(scale) }
                let m = scaled.max()!
                let z = scaled.map { exp($0 - m) }.reduce(0, +)
                for k in 0..<count {
                    if k < visible {
                        XCTAssertEqual(Double(row[k]), exp(scaled[k] - m) / z, accuracy: 1e-6, "count \(count) visible \(visible) k \(k)")
                    } else {
                        XCTAssertEqual(row[k], 0, "masked key \(k) must be exactly 0")
                    }
                }
            }
        }
    }

    /// The entropy the softmax computes from the scores against `−Σ p ln p` of the formula's
    /// probabilities in Double: diffuse, peaked (scores ×40) and one-key rows, tails included.
    func testCausalSoftmaxRowEntropy() {
        var rng = SeededFloats(seed: 5)
        for count in [1, 7, 16, 31, 100, 1024] {
            for spread: Float in [1, 40] {
                for visible in Set([1, max(1, count / 3), count]) {
                    var row = rng.array(count, scale: spread)
                    let raw = row
                    var entropy: Float = .nan
                    row.withUnsafeMutableBufferPointer {
                        Softmax.causalRow($0.baseAddress!, visible: visible, count: count, scale: 0.5, entropy: &entropy)
                    }
                    let scaled = raw[0..<visible].map { Double($0) * 0.5 }
                    let m = scaled.max()!
                    let z = scaled.map { exp($0 - m) }.reduce(0, +)
                    let want = -scaled.map { exp($0 - m) / z }.filter { $0 > 0 }.map { $0 * log($0) }.reduce(0, +)
                    XCTAssertEqual(Double(entropy), want, accuracy: 2e-6 * max(want, 1), "count \(count) visible \(visible) spread \(spread)")
                    if visible == 1 { XCTAssertEqual(entropy, 0, accuracy: 1e-7) }
                }
            }
        }
    }

    func testSoftmaxHandWorkedRow() {
        // scores (0, ln 2, ln 3) · scale 1 → (1, 2, 3) / 6; key 3 masked.
        var row: [Float] = [0, Float(log(2.0)), Float(log(3.0)), 100]
        row.withUnsafeMutableBufferPointer { Softmax.causalRow($0.baseAddress!, visible: 3, count: 4, scale: 1) }
        XCTAssertEqual(row[0], 1.0 / 6, accuracy: 1e-7)
        XCTAssertEqual(row[1], 2.0 / 6, accuracy: 1e-7)
        XCTAssertEqual(row[2], 3.0 / 6, accuracy: 1e-7)
        XCTAssertEqual(row[3], 0)
    }

    func testSoftmaxExtremeScoresStayFinite() {
        var row: [Float] = [-1e30, 0, 1e30, -50, 80]
        row.withUnsafeMutableBufferPointer { Softmax.causalRow($0.baseAddress!, visible: 5, count: 5, scale: 1) }
        XCTAssertEqual(row[2], 1, accuracy: 1e-7)
        XCTAssertTrue(row.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    func testLayerNormMatchesFormula() {
        var rng = SeededFloats(seed: 12)
        for cols in [1, 16, 19, 64, 768] {
            let rows = 3
            let x = rng.array(rows * cols, scale: 3).enumerated().map { $1 + Float($0 % 7) } // offset rows: mean ≠ 0
            let w = rng.array(cols).map { $0 + 1 }, b = rng.array(cols, scale: 0.5)
            var out = [Float](repeating: .nan, count: rows * cols)
            x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in b.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer {
                    LayerNorm.forward(out: $0.baseAddress!, input: xp.baseAddress!, rows: rows, cols: cols,
                                      weight: wp.baseAddress!, bias: bp.baseAddress!, epsilon: 1e-5)
                }
            } } }
            for r in 0..<rows {
                let row = x[r * cols..<(r + 1) * cols].map(Double.init)
                let mean = row.reduce(0, +) / Double(cols)
                let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(cols)
                for c in 0..<cols {
                    let want = (row[c] - mean) / (variance + 1e-5).squareRoot() * Double(w[c]) + Double(b[c])
                    XCTAssertEqual(Double(out[r * cols + c]), want, accuracy: 2e-5, "cols \(cols) row \(r) col \(c)")
                }
            }
        }
    }

    func testGeluNewMatchesTanhFormula() {
        var xs: [Float] = stride(from: -12.0, through: 12.0, by: 0.037).map { Float($0) }
        xs += [0, -0.0, 1e-6, -1e-6, 40, -40, 1e4, -1e4]
        var y = xs
        y.withUnsafeMutableBufferPointer { GELU.forwardInPlace($0.baseAddress!, count: xs.count) }
        for (x, got) in zip(xs, y) {
            let v = Double(x)
            let want = 0.5 * v * (1 + tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)))
            XCTAssertEqual(Double(got), want, accuracy: 1e-6 * max(1, abs(want)), "gelu_new(\(x))")
        }
        // Hand-worked: gelu_new(1) = 0.5·(1 + tanh(0.7978845608·1.044715)) = 0.841191990.
        XCTAssertEqual(Double(y[xs.firstIndex(of: 0)!]), 0)
        var one: [Float] = [1]
        one.withUnsafeMutableBufferPointer { GELU.forwardInPlace($0.baseAddress!, count: 1) }
        XCTAssertEqual(one[0], 0.841192, accuracy: 1e-6)
    }
}
