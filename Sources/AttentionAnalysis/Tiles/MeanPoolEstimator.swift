import Foundation
import Kernels

/// `meanPool`: p̂(i, j) = softmax over the visible key blocks j of query block i of
/// q̄_i · k̄_j / √D, with q̄_i the mean of the block's queries and k̄_j the mean of the key
/// block's keys (all of them, future keys of a diagonal tile included: the pooled estimate of
/// MInference's block-sparse pattern and SeerAttention's gate).
/// Cost: 2·T·D pooling sums + D per visible tile.
enum MeanPoolEstimator {
    static func scores(_ qk: HeadQueriesKeys, geometry g: TileGeometry) -> (TileScores, Int) {
        let d = qk.headDim, scale = 1 / Double(d).squareRoot()
        let pooledQ = pool(count: g.queryBlocks, d: d, rows: g.queries(ofBlock:), row: qk.query)   // (Nq, D)
        let pooledK = pool(count: g.keyBlocks, d: d, rows: g.keys(ofBlock:), row: qk.key)          // (Nk, D)
        var scores = TileScores(geometry: g)
        var multiplyAdds = 2 * g.tokens * d
        for i in 0..<g.queryBlocks {
            let visible = g.visibleKeyBlocks(queryBlock: i)
            var logits = ArraySlice((0..<visible).map { j in
                (0..<d).reduce(0.0) { $0 + pooledQ[i * d + $1] * pooledK[j * d + $1] } * scale
            })
            multiplyAdds += visible * d
            softmaxInPlace(&logits)
            for j in 0..<visible { scores[i, j] = logits[j] }
        }
        return (scores, multiplyAdds)
    }

    /// (count, D): the mean of `row(t)` over `rows(b)` for each block b, in Float64.
    private static func pool(count: Int, d: Int, rows: (Int) -> Range<Int>,
                             row: (Int) -> UnsafePointer<Float>) -> [Double] {
        var out = [Double](repeating: 0, count: count * d)
        for b in 0..<count {
            let range = rows(b)
            for t in range {
                let r = row(t)
                for c in 0..<d { out[b * d + c] += Double(r[c]) }
            }
            for c in 0..<d { out[b * d + c] /= Double(range.count) }
        }
        return out
    }
}
