/// The threshold rule's block mask for one (layer, head), computed client-side from the
/// attention the daemon returns with `includeAttention` (Protocol/README.md §11).
///
/// For query `q` and key block `j` (keys `[jB, min(jB+B, T))`): the block is **visible** when
/// `jB ≤ q`; a visible block is **pruned** when its block max `max_k A[q,k] < τ`; a row whose
/// visible blocks would all be pruned is kept dense (nothing pruned). Keep policies are not
/// applied. The picture is tiled by query blocks: tile `(i, j)` holds queries `[iB, iB+B)`
/// and shows the share of its rows that keep block `j` among the rows that can see it
/// (nil when none can: causally masked).
enum BlockMask {
    /// Kept (true) / pruned (false) / invisible (nil) per (query, key block).
    /// - Parameter attention: `(T, T)` rows of probabilities, `A[q][k]`.
    static func rows(attention: [[Double]], blockSize: Int, threshold: Double) -> [[Bool?]] {
        let tokens = attention.count
        let blocks = (tokens + blockSize - 1) / blockSize
        return attention.enumerated().map { query, row in
            var kept: [Bool?] = (0..<blocks).map { block in
                guard block * blockSize <= query else { return nil }
                let keys = (block * blockSize)..<min(tokens, min(row.count, block * blockSize + blockSize))
                let blockMax = keys.map { row[$0] }.max() ?? 0
                return blockMax >= threshold
            }
            if !kept.contains(true) {  // dense fallback
                kept = kept.map { $0 == nil ? nil : true }
            }
            return kept
        }
    }

    /// Share of rows in each query-block tile that keep each key block, `(ceil(T/B), ceil(T/B))`.
    static func tiles(_ rows: [[Bool?]], blockSize: Int) -> [[Double?]] {
        let blocks = rows.first?.count ?? 0
        return stride(from: 0, to: rows.count, by: blockSize).map { start in
            let tileRows = rows[start..<min(rows.count, start + blockSize)]
            return (0..<blocks).map { block in
                let visible = tileRows.compactMap { $0[block] }
                guard !visible.isEmpty else { return nil }
                return Double(visible.filter { $0 }.count) / Double(visible.count)
            }
        }
    }

    /// Pruned visible (query, block) pairs / visible pairs (the `prunedBlockFraction` of one head).
    static func prunedFraction(_ rows: [[Bool?]]) -> Double {
        let visible = rows.flatMap { $0.compactMap { $0 } }
        guard !visible.isEmpty else { return 0 }
        return Double(visible.filter { !$0 }.count) / Double(visible.count)
    }
}
