import Foundation
import Kernels

/// `antidiagonal` (XAttention's scoring) with stride S dividing Bq and Bk.
///
/// Reduced row `a` (queries `aS…aS+S−1`) and reduced column `b` (keys `bS…bS+S−1`) meet in an
/// S×S sub-block; its antidiagonal sum, from lower-left to upper-right, is
/// `R[a,b] = Σ_{s<S} q_{aS+S−1−s} · k_{bS+s} / (√D · S)` (terms past T left out). Causal on the
/// reduced grid (`b ≤ a`; at `b = a` the whole antidiagonal is summed, as XAttention does; a
/// sub-block whose antidiagonal lies wholly past T is left out).
/// `P̂[a,·]` = softmax over `b ≤ a` of `R[a,·]`; tile `(i, j)` scores the mean over the block's
/// reduced rows of `Σ_{b∈j} P̂[a,b]`, in [0, 1]. With S = 1 this is the exact attention's tile
/// mass per row. Cost: what the product computes, in chunks of 32 reduced rows against the
/// columns up to the chunk's last row: `Σ_chunks rows · (last row + 1) · S·D` (≈ T²D/(2S) and
/// a little more). Float32 scores and softmax, Float64 tile sums.
enum AntidiagonalEstimator {
    /// Reduced rows per GEMM: each chunk multiplies its rows by the reduced columns up to its last
    /// row (the causal half, and a little more).
    private static let chunkRows = 32

    static func scores(_ qk: HeadQueriesKeys, geometry g: TileGeometry, stride s: Int) -> (TileScores, Int) {
        let t = g.tokens, d = qk.headDim, width = s * d
        let reduced = (t + s - 1) / s                      // reduced rows = reduced columns
        // Qr (reduced, S·D): row a = q_{aS+S−1}, …, q_{aS}; Kr (reduced, S·D): row b = k_{bS}, …, k_{bS+S−1};
        // rows past T are zero, so Qr·Krᵀ sums exactly the antidiagonal terms that exist.
        var qr = [Float](repeating: 0, count: reduced * width)
        var kr = [Float](repeating: 0, count: reduced * width)
        qr.withUnsafeMutableBufferPointer { qrOut in
            kr.withUnsafeMutableBufferPointer { krOut in
                for a in 0..<reduced {
                    for step in 0..<s {
                        let q = a * s + s - 1 - step, k = a * s + step, at = a * width + step * d
                        if q < t { (qrOut.baseAddress! + at).update(from: qk.query(q), count: d) }
                        if k < t { (krOut.baseAddress! + at).update(from: qk.key(k), count: d) }
                    }
                }
            }
        }
        var scores = TileScores(geometry: g)
        var multiplyAdds = 0
        var logits = [Float](repeating: 0, count: chunkRows * reduced)     // (chunk, reduced) R[a, 0…a1)
        let scale = 1 / (Float(d).squareRoot() * Float(s))
        qr.withUnsafeBufferPointer { qrBase in
            kr.withUnsafeBufferPointer { krBase in
                logits.withUnsafeMutableBufferPointer { rBase in
                    var a0 = 0
                    while a0 < reduced {
                        let a1 = min(a0 + chunkRows, reduced)
                        Gemm.multiply(m: a1 - a0, n: a1, k: width, a: qrBase.baseAddress! + a0 * width, lda: width,
                                      b: krBase.baseAddress!, ldb: width, bTransposed: true, c: rBase.baseAddress!,
                                      ldc: reduced, threads: 1)
                        multiplyAdds += (a1 - a0) * a1 * width
                        for a in a0..<a1 {
                            let row = rBase.baseAddress! + (a - a0) * reduced
                            var anyTerm = false
                            for b in 0...a {
                                let terms = termCount(a: a, b: b, stride: s, tokens: t)
                                anyTerm = anyTerm || terms > 0
                                // A sub-block whose antidiagonal lies wholly past T has no term: left out.
                                if terms == 0 { row[b] = -.infinity }
                            }
                            guard anyTerm else { continue }   // only when T < S
                            Softmax.causalRow(row, visible: a + 1, count: a + 1, scale: scale)
                            // Reduced row a lies in query block aS / Bq; reduced column b in key block bS / Bk.
                            let i = g.queryBlock(of: a * s)
                            let rowsOfBlock = Double((g.queries(ofBlock: i).count + s - 1) / s)
                            for b in 0...a { scores[i, g.keyBlock(of: b * s)] += Double(row[b]) / rowsOfBlock }
                        }
                        a0 = a1
                    }
                }
            }
        }
        return (scores, multiplyAdds)
    }

    /// Antidiagonal terms of sub-block (a, b) inside T: steps s with `aS+S−1−s < T` and `bS+s < T`.
    @inline(__always)
    static func termCount(a: Int, b: Int, stride s: Int, tokens t: Int) -> Int {
        max(0, min(s, t - b * s) - max(0, a * s + s - t))
    }
}
