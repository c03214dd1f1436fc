import Foundation
import Kernels

/// `lastQueries` (MInference's vertical-slash estimate).
///
/// The exact attention rows `A[q, k ≤ q]` of the last `n = min(count, T)` queries
/// `q ∈ [T−n, T)` are computed from Q and K (softmax of q·k/√D). They give per key column
/// `v[k] = Σ_q A[q,k] / n` (vertical) and per diagonal offset `o = q − k` `s[o] = Σ_q A[q,q−o] / n`
/// (slash), each summing to 1. The selection picks columns from `v` and offsets from `s`
/// separately (threshold τ: value ≥ τ; coverage τ: fewest reaching τ; topK k: k of each); the
/// kept entries are every visible `(q, k)` with k a kept column or `q − k` a kept offset, and a
/// tile is kept when it holds one. Cost: `Σ_q (q + 1)·D` over the last queries.
enum LastQueriesEstimator {
    static func estimate(_ qk: HeadQueriesKeys, geometry g: TileGeometry, lastQueries count: Int,
                         selection: TileSelection) -> TileEstimate {
        let t = g.tokens, d = qk.headDim, n = min(count, t)
        let scale = 1 / Double(d).squareRoot()
        var vertical = [Double](repeating: 0, count: t)    // (T) by key
        var slash = [Double](repeating: 0, count: t)       // (T) by offset q − k
        var multiplyAdds = 0
        for q in (t - n)..<t {
            var row = ArraySlice((0...q).map { dotDouble(qk.query(q), qk.key($0), count: d) * scale })
            multiplyAdds += (q + 1) * d
            softmaxInPlace(&row)
            for k in 0...q {
                vertical[k] += row[k] / Double(n)
                slash[q - k] += row[k] / Double(n)
            }
        }
        var mask = TileMask(geometry: g)
        for k in selection.kept(vertical[...]) {
            for i in 0..<g.queryBlocks where g.queries(ofBlock: i).upperBound - 1 >= k {
                mask.keep(queryBlock: i, keyBlock: g.keyBlock(of: k))
            }
        }
        for o in selection.kept(slash[...]) {
            for q in o..<t { mask.keep(queryBlock: g.queryBlock(of: q), keyBlock: g.keyBlock(of: q - o)) }
        }
        for i in 0..<g.queryBlocks { mask.keepDiagonal(queryBlock: i) }
        return TileEstimate(mask: mask, multiplyAdds: multiplyAdds)
    }
}
