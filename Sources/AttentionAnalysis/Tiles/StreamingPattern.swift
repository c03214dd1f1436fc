import Kernels

/// `streaming` (StreamingLLM's fixed pattern): entry `(q, k ≤ q)` is kept when `k < sinkTokens`
/// (the attention sink) or `q − k < window` (the local window); a tile is kept when it holds a
/// kept visible entry, i.e. when `jBk < sinkTokens` or `max(0, first query − last key) < window`.
/// Reads neither Q nor K; costs nothing.
enum StreamingPattern {
    static func mask(geometry g: TileGeometry, sinkTokens: Int, window: Int) -> TileMask {
        var mask = TileMask(geometry: g)
        for i in 0..<g.queryBlocks {
            let firstQuery = g.queries(ofBlock: i).lowerBound
            for j in 0..<g.visibleKeyBlocks(queryBlock: i) {
                let keys = g.keys(ofBlock: j)
                if keys.lowerBound < sinkTokens || max(0, firstQuery - (keys.upperBound - 1)) < window {
                    mask.keep(queryBlock: i, keyBlock: j)
                }
            }
            mask.keepDiagonal(queryBlock: i)
        }
        return mask
    }
}
