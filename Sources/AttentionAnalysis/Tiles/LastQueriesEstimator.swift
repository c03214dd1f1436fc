import Foundation
import Kernels

/// `lastQueries` (MInference's vertical-slash estimate).
///
/// The exact attention rows `A[q, k ≤ q]` of the last `n = min(count, T)` queries
/// `q ∈ [T−n, T)` are computed from Q and K (softmax of q·k/√D). They give per key column
/// `v[k] = Σ_q A[q,k] / n` (vertical) and per diagonal offset `o = q − k` `s[o] = Σ_q A[q,q−o] / n`
/// (slash), each summing to 1. The selection picks columns from `v` and offsets from `s`
/// separately (threshold τ: value ≥ τ; relativeThreshold c: value ≥ c/T, the cut of the last
/// query; coverage τ: fewest reaching τ; topK k: k of each); the
/// kept entries are every visible `(q, k)` with k a kept column or `q − k` a kept offset, and a
/// tile is kept when it holds one. Cost: the product `n·T·D` (all keys of the last queries, their
/// few future ones included). Float32 scores and softmax, Float64 sums.
enum LastQueriesEstimator {
    static func estimate(_ qk: HeadQueriesKeys, geometry g: TileGeometry, lastQueries count: Int,
                         selection: TileSelection) -> TileEstimate {
        let t = g.tokens, d = qk.headDim, n = min(count, t), first = t - n
        // rows (n, T) = Q[first..<T] · Kᵀ, then each row's causal softmax over keys 0…q.
        var rows = [Float](repeating: 0, count: n * t)
        var vertical = [Double](repeating: 0, count: t)    // (T) by key
        var slash = [Double](repeating: 0, count: t)       // (T) by offset q − k
        rows.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Gemm.multiply(m: n, n: t, k: d, a: qk.query(first), lda: qk.rowStride, b: qk.k, ldb: qk.rowStride,
                          bTransposed: true, c: base, ldc: t, threads: 1)
            for r in 0..<n {
                let q = first + r, row = base + r * t
                Softmax.causalRow(row, visible: q + 1, count: t, scale: 1 / Float(d).squareRoot())
                for k in 0...q {
                    let a = Double(row[k]) / Double(n)
                    vertical[k] += a
                    slash[q - k] += a
                }
            }
        }
        let multiplyAdds = n * t * d                        // the product, future keys included
        var mask = TileMask(geometry: g)
        // relativeThreshold: the cut of the last query, which sees all T keys (the smallest cut).
        let rule = selection.resolved(visibleKeys: t)
        for k in rule.kept(vertical[...]) {
            // Column k: every query block from the one holding query k on.
            for i in g.queryBlock(of: k)..<g.queryBlocks { mask.keep(queryBlock: i, keyBlock: g.keyBlock(of: k)) }
        }
        for o in rule.kept(slash[...]) {
            // Query block i meets diagonal o at keys [first − o, last − o] (those ≥ 0).
            for i in 0..<g.queryBlocks {
                let rows = g.queries(ofBlock: i)
                guard rows.upperBound - 1 >= o else { continue }
                for j in g.keyBlock(of: max(0, rows.lowerBound - o))...g.keyBlock(of: rows.upperBound - 1 - o) {
                    mask.keep(queryBlock: i, keyBlock: j)
                }
            }
        }
        for i in 0..<g.queryBlocks { mask.keepDiagonal(queryBlock: i) }
        return TileEstimate(mask: mask, multiplyAdds: multiplyAdds)
    }
}
