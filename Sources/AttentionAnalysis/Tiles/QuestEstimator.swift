import Kernels

/// `quest` (Quest's criticality bound, applied to tiles).
///
/// Per key block j the channel-wise `m_j[c] = min_{k∈j} K[k,c]` and `M_j[c] = max_{k∈j} K[k,c]`
/// give for every query the upper bound `u(q, j) = Σ_c max(q_c·M_j[c], q_c·m_j[c]) ≥ q·k` for
/// all k in j. Per query, `ŵ(q, j)` = softmax over the key blocks visible to q's query block of
/// `u(q, j)/√D`; tile `(i, j)` scores `max_{q∈i} ŵ(q, j)` (`Kernels.QuestBounds`, Float32).
/// Cost: 2·D per (query, visible key block) pair (min and max are comparisons, not counted).
enum QuestEstimator {
    static func scores(_ qk: HeadQueriesKeys, geometry g: TileGeometry) -> (TileScores, Int) {
        let d = qk.headDim, nk = g.keyBlocks
        var tiles = [Float](repeating: 0, count: g.queryBlocks * nk)    // (Nq, Nk)
        tiles.withUnsafeMutableBufferPointer {
            QuestBounds.tileScores(qk, geometry: g, scale: 1 / Float(d).squareRoot(), out: $0.baseAddress!)
        }
        var scores = TileScores(geometry: g)
        var pairs = 0
        for i in 0..<g.queryBlocks {
            let visible = g.visibleKeyBlocks(queryBlock: i)
            pairs += g.queries(ofBlock: i).count * visible
            for j in 0..<visible { scores[i, j] = Double(tiles[i * nk + j]) }
        }
        return (scores, 2 * d * pairs)
    }
}
