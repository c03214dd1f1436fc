import Foundation
import Kernels

/// `quest` (Quest's criticality bound, applied to tiles).
///
/// Per key block j the channel-wise `m_j[c] = min_{k∈j} K[k,c]` and `M_j[c] = max_{k∈j} K[k,c]`
/// give for every query the upper bound `u(q, j) = Σ_c max(q_c·M_j[c], q_c·m_j[c]) ≥ q·k` for
/// all k in j. Per query, `ŵ(q, j)` = softmax over the key blocks visible to q's query block of
/// `u(q, j)/√D`; tile `(i, j)` scores `max_{q∈i} ŵ(q, j)`. Cost: 2·D per (query, visible key
/// block) pair (min and max are comparisons, not counted).
enum QuestEstimator {
    static func scores(_ qk: HeadQueriesKeys, geometry g: TileGeometry) -> (TileScores, Int) {
        let d = qk.headDim, scale = 1 / Double(d).squareRoot()
        var low = [Float](repeating: .infinity, count: g.keyBlocks * d)      // (Nk, D) m_j
        var high = [Float](repeating: -.infinity, count: g.keyBlocks * d)    // (Nk, D) M_j
        for j in 0..<g.keyBlocks {
            for k in g.keys(ofBlock: j) {
                let key = qk.key(k)
                for c in 0..<d {
                    low[j * d + c] = min(low[j * d + c], key[c])
                    high[j * d + c] = max(high[j * d + c], key[c])
                }
            }
        }
        var scores = TileScores(geometry: g)
        var multiplyAdds = 0
        for i in 0..<g.queryBlocks {
            let visible = g.visibleKeyBlocks(queryBlock: i)
            for q in g.queries(ofBlock: i) {
                let query = qk.query(q)
                var bounds = ArraySlice((0..<visible).map { j in
                    (0..<d).reduce(0.0) { sum, c in
                        let x = Double(query[c])
                        return sum + max(x * Double(high[j * d + c]), x * Double(low[j * d + c]))
                    } * scale
                })
                multiplyAdds += 2 * d * visible
                softmaxInPlace(&bounds)
                for j in 0..<visible { scores[i, j] = max(scores[i, j], bounds[j]) }
            }
        }
        return (scores, multiplyAdds)
    }
}
