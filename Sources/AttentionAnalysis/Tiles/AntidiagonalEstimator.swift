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
/// mass per row. Cost: D per term, `≈ T²D / (2S)`.
enum AntidiagonalEstimator {
    static func scores(_ qk: HeadQueriesKeys, geometry g: TileGeometry, stride s: Int) -> (TileScores, Int) {
        let t = g.tokens, d = qk.headDim
        let scale = 1 / (Double(d).squareRoot() * Double(s))
        let reduced = (t + s - 1) / s                       // reduced rows = reduced columns
        var scores = TileScores(geometry: g)
        var multiplyAdds = 0
        var row = [Double](repeating: 0, count: reduced)   // (reduced) R[a, 0…a], then P̂[a, ·]
        for a in 0..<reduced {
            var anyTerm = false
            for b in 0...a {
                var sum = 0.0, terms = 0
                for step in 0..<s {
                    let q = a * s + s - 1 - step, k = b * s + step
                    guard q < t, k < t else { continue }
                    sum += dotDouble(qk.query(q), qk.key(k), count: d)
                    terms += 1
                }
                multiplyAdds += terms * d
                anyTerm = anyTerm || terms > 0
                // A sub-block whose antidiagonal lies wholly past T has no term: left out.
                row[b] = terms > 0 ? sum * scale : -.infinity
            }
            guard anyTerm else { continue }   // only when T < S
            var probs = row[0...a]
            softmaxInPlace(&probs)
            // Reduced row a lies in query block aS / Bq; reduced column b in key block bS / Bk.
            let i = g.queryBlock(of: a * s)
            let rowsOfBlock = Double((g.queries(ofBlock: i).count + s - 1) / s)
            for b in 0...a { scores[i, g.keyBlock(of: b * s)] += probs[b] / rowsOfBlock }
        }
        return (scores, multiplyAdds)
    }
}
