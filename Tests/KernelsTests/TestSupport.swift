import Foundation

/// Deterministic pseudo-random floats in [-1, 1) (a 64-bit LCG), so failures reproduce.
struct SeededFloats {
    private var state: UInt64
    init(seed: UInt64) { state = seed &* 6364136223846793005 &+ 1442695040888963407 }
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Double(state >> 40) / Double(1 << 24) * 2 - 1)
    }
    mutating func array(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in next() * scale } }
}

/// C (M, N) = A (M, K) · B (K, N), a plain triple loop in Double. Element (kk, j) of B is
/// `b[kk * ldb + j]`, or `b[j * ldb + kk]` when `bTransposed`.
func naiveMatmul(m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], ldb: Int, bTransposed: Bool) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for kk in 0..<k {
                let bv = bTransposed ? b[j * ldb + kk] : b[kk * ldb + j]
                s += Double(a[i * lda + kk]) * Double(bv)
            }
            c[i * n + j] = s
        }
    }
    return c
}
