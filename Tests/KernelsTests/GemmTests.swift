import XCTest
@testable import Kernels

/// The BLIS-style GEMM against a naive triple loop on odd sizes, both B layouts, strided A/C,
/// bias, accumulation, one and two threads. Tolerance: 1e-5 · (1 + |C|) · sqrt(K) relative to the
/// Double reference (float32 sums of K products).
final class GemmTests: XCTestCase {
    private func check(m: Int, n: Int, k: Int, bTransposed: Bool, threads: Int, seed: UInt64, lda ldaOverride: Int? = nil,
                       file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededFloats(seed: seed)
        let lda = ldaOverride ?? k + 3                       // strided A rows
        let ldc = n + 5                                      // strided C rows
        let ldb = bTransposed ? k + 1 : n + 2
        let a = rng.array(m * lda)
        let b = rng.array((bTransposed ? n : k) * ldb)
        let bias = rng.array(n)
        let expected = naiveMatmul(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, bTransposed: bTransposed)
        let sentinel: Float = 12345
        var c = [Float](repeating: sentinel, count: m * ldc)
        let packed = b.withUnsafeBufferPointer { PackedMatrix(k: k, n: n, source: $0.baseAddress!, rowStride: ldb, transposed: bTransposed) }
        a.withUnsafeBufferPointer { ap in
            bias.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    Gemm.multiply(m: m, a: ap.baseAddress!, lda: lda, b: packed, c: cp.baseAddress!, ldc: ldc,
                                  bias: bp.baseAddress!, output: .overwrite, threads: threads)
                }
            }
        }
        let tol = 1e-5 * Double(k).squareRoot()
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                let want = expected[i * n + j] + Double(bias[j])
                worst = max(worst, abs(Double(c[i * ldc + j]) - want) / (1 + abs(want)))
            }
            for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], sentinel, "padding column \(j) of row \(i) was written", file: file, line: line) }
        }
        XCTAssertLessThan(worst, tol, "m \(m) n \(n) k \(k) transposed \(bTransposed) threads \(threads)", file: file, line: line)

        // Accumulate: C += A·B (no bias) on top of the result above doubles the product part.
        a.withUnsafeBufferPointer { ap in
            c.withUnsafeMutableBufferPointer { cp in
                Gemm.multiply(m: m, a: ap.baseAddress!, lda: lda, b: packed, c: cp.baseAddress!, ldc: ldc,
                              output: .accumulate, threads: threads)
            }
        }
        worst = 0
        for i in 0..<m {
            for j in 0..<n {
                let want = 2 * expected[i * n + j] + Double(bias[j])
                worst = max(worst, abs(Double(c[i * ldc + j]) - want) / (1 + abs(want)))
            }
        }
        XCTAssertLessThan(worst, 2 * tol, "accumulate m \(m) n \(n) k \(k)", file: file, line: line)
    }

    func testOneByOneByOne() {
        check(m: 1, n: 1, k: 1, bTransposed: false, threads: 1, seed: 1)
        check(m: 1, n: 1, k: 1, bTransposed: true, threads: 2, seed: 2)
    }

    func testOddSizes() {
        check(m: 13, n: 17, k: 19, bTransposed: false, threads: 1, seed: 3)
        check(m: 13, n: 17, k: 19, bTransposed: true, threads: 2, seed: 4)
    }

    func testSizesCrossingKBlockAndPanels() {
        check(m: 33, n: 70, k: 257, bTransposed: false, threads: 2, seed: 5)
        check(m: 33, n: 70, k: 257, bTransposed: true, threads: 1, seed: 6)
    }

    func testManyRowBlocksAndChunks() {
        // More than one MC row block (336) and several column chunks.
        check(m: 350, n: 97, k: 40, bTransposed: false, threads: 2, seed: 7)
    }

    func testRowStrideThatAliasesInL1IsCopiedCorrectly() {
        // lda = 1024 floats (4 KiB): the path that copies A rows to a padded stride.
        XCTAssertTrue(Gemm.rowsAliasInL1(lda: 1024))
        XCTAssertTrue(Gemm.rowsAliasInL1(lda: 3072))
        XCTAssertFalse(Gemm.rowsAliasInL1(lda: 768))
        check(m: 31, n: 40, k: 300, bTransposed: false, threads: 2, seed: 9, lda: 1024)
    }

    func testUnpackedEntryPointMatchesNaive() {
        var rng = SeededFloats(seed: 8)
        let (m, n, k) = (29, 45, 31)
        let a = rng.array(m * k), b = rng.array(n * k)
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            Gemm.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: k, bTransposed: true,
                          c: cp.baseAddress!, ldc: n)
        } } }
        let want = naiveMatmul(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, bTransposed: true)
        for i in 0..<(m * n) { XCTAssertEqual(Double(c[i]), want[i], accuracy: 1e-4) }
    }
}
