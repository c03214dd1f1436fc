import XCTest
@testable import Kernels

/// The GEMM paths added for the forward pass: C written by the first k-block (no bias, no
/// accumulation, C's old contents must not leak in), column ranges cut at `maxPanelsPerChunk`
/// panels, and the gelu_new epilogue. Reference: the naive Double triple loop; tolerance as in
/// `GemmTests`, 1e-5 · sqrt(K) · (1 + |C|).
final class GemmEpilogueTests: XCTestCase {
    private func run(m: Int, n: Int, k: Int, bias: Bool, epilogue: Gemm.Epilogue, threads: Int, seed: UInt64,
                     file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededFloats(seed: seed)
        let lda = k + 1, ldc = n + 3
        let a = rng.array(m * lda)
        let b = rng.array(k * n)
        let biasValues = rng.array(n)
        let product = naiveMatmul(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: n, bTransposed: false)
        let sentinel: Float = -777                      // stale contents of C that must not survive
        var c = [Float](repeating: sentinel, count: m * ldc)
        let packed = b.withUnsafeBufferPointer { PackedMatrix(k: k, n: n, source: $0.baseAddress!, rowStride: n, transposed: false) }
        a.withUnsafeBufferPointer { ap in
            biasValues.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    Gemm.multiply(m: m, a: ap.baseAddress!, lda: lda, b: packed, c: cp.baseAddress!, ldc: ldc,
                                  bias: bias ? bp.baseAddress! : nil, output: .overwrite, epilogue: epilogue, threads: threads)
                }
            }
        }
        let tol = 1e-5 * Double(max(k, 1)).squareRoot()
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var want = product[i * n + j] + (bias ? Double(biasValues[j]) : 0)
                if case .geluNew = epilogue {
                    want = 0.5 * want * (1 + tanh((2 / Double.pi).squareRoot() * (want + 0.044715 * want * want * want)))
                }
                worst = max(worst, abs(Double(c[i * ldc + j]) - want) / (1 + abs(want)))
            }
            for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], sentinel, "padding column \(j) of row \(i) was written", file: file, line: line) }
        }
        XCTAssertLessThan(worst, tol, "m \(m) n \(n) k \(k) bias \(bias) \(epilogue) threads \(threads)", file: file, line: line)
    }

    func testNoBiasOverwriteIgnoresOldContentsAcrossKBlocks() {
        // K = 600 is three k-blocks; M = 31 has a partial row panel; N = 45 a partial column panel.
        run(m: 31, n: 45, k: 600, bias: false, epilogue: .none, threads: 2, seed: 21)
        run(m: 31, n: 45, k: 600, bias: false, epilogue: .none, threads: 1, seed: 22)
    }

    func testColumnsBeyondOneChunkAreSplitAndAllWritten() {
        // N = 33 panels > maxPanelsPerChunk (16): at least three column chunks per row block.
        XCTAssertGreaterThan(33 * gemmNR - 7, Gemm.maxPanelsPerChunk * gemmNR)
        run(m: 20, n: 33 * gemmNR - 7, k: 70, bias: false, epilogue: .none, threads: 2, seed: 23)
        run(m: 20, n: 33 * gemmNR - 7, k: 70, bias: true, epilogue: .none, threads: 2, seed: 24)
    }

    func testGeluEpilogueEqualsGeluOfTheProduct() {
        run(m: 29, n: 70, k: 257, bias: true, epilogue: .geluNew, threads: 2, seed: 25)
        run(m: 3, n: 17, k: 5, bias: false, epilogue: .geluNew, threads: 1, seed: 26)
    }

    func testZeroDepthWritesBiasOrZeros() {
        // K = 0: no k-block runs, so C must still be set (to the bias, or to 0 without one).
        run(m: 4, n: 9, k: 0, bias: false, epilogue: .none, threads: 1, seed: 27)
        run(m: 4, n: 9, k: 0, bias: true, epilogue: .geluNew, threads: 2, seed: 28)
    }
}
