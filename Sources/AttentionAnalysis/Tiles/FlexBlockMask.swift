import Kernels

/// Kept tiles of every layer and head in PyTorch FlexAttention's `BlockMask` layout
/// (`BlockMask.from_kv_blocks(kv_num_blocks, kv_indices, full_kv_num_blocks, full_kv_indices,
/// BLOCK_SIZE=(Bq, Bk))` with the causal `mask_mod`): per query block, the kept **partial** tiles
/// (they need the causal mask inside) in `kv*`, the kept **full** tiles in `fullKv*`, each list
/// ascending and padded with 0 to Nk entries. Value type; build on one thread.
public struct FlexBlockMask: Equatable, Sendable {
    public let layers: Int
    public let heads: Int
    public let geometry: TileGeometry
    /// (L, H, Nq): partial kept tiles per query block.
    public private(set) var kvNumBlocks: [Int32]
    /// (L, H, Nq, Nk): their key blocks, then 0s.
    public private(set) var kvIndices: [Int32]
    /// (L, H, Nq): full kept tiles per query block.
    public private(set) var fullKvNumBlocks: [Int32]
    /// (L, H, Nq, Nk): their key blocks, then 0s.
    public private(set) var fullKvIndices: [Int32]
    /// (L, H, T): 1 for a row that keeps no visible key and attends densely instead (§11 dense
    /// fallback; only with `allowingFallback`), else 0. A `BlockMask` cannot say this itself.
    public private(set) var denseRows: [Int32]

    /// Rows that fall back to dense, over every layer and head.
    public var fallbackRows: Int { denseRows.reduce(0) { $0 + Int($1) } }

    /// - Parameters:
    ///   - masks: `masks[l][h]`, every mask of one geometry.
    ///   - allowingFallback: record rows that fall back to dense in `denseRows` instead of refusing
    ///     them; the tile arrays stay the kept tiles exactly.
    /// - Throws: `AnalysisError.invalidDimension` when the layers or heads are ragged, a geometry
    ///   differs, or (without `allowingFallback`) a mask has a row that falls back to dense (a
    ///   `BlockMask` cannot say that one row of a query block attends densely).
    public init(masks: [[TileMask]], allowingFallback: Bool = false) throws {
        guard let first = masks.first?.first else {
            throw AnalysisError.invalidDimension(field: "masks", value: 0, accepted: "at least one layer and one head")
        }
        let l = masks.count, h = masks[0].count, g = first.geometry
        let nq = g.queryBlocks, nk = g.keyBlocks
        layers = l
        heads = h
        geometry = g
        kvNumBlocks = [Int32](repeating: 0, count: l * h * nq)
        fullKvNumBlocks = kvNumBlocks
        kvIndices = [Int32](repeating: 0, count: l * h * nq * nk)
        fullKvIndices = kvIndices
        denseRows = [Int32](repeating: 0, count: l * h * g.tokens)
        for (layer, row) in masks.enumerated() {
            guard row.count == h else {
                throw AnalysisError.invalidDimension(field: "masks[\(layer)]", value: row.count, accepted: "\(h) heads, as layer 0")
            }
            for (head, mask) in row.enumerated() {
                guard mask.geometry == g else {
                    throw AnalysisError.invalidDimension(field: "masks[\(layer)][\(head)]", value: mask.geometry.tokens,
                                                         accepted: "the geometry of masks[0][0]")
                }
                let falling = (0..<g.tokens).filter { mask.fallsBack(query: $0) }
                if allowingFallback {
                    for q in falling { denseRows[(layer * h + head) * g.tokens + q] = 1 }
                } else if let q = falling.first {
                    throw AnalysisError.invalidDimension(field: "masks[\(layer)][\(head)]", value: q,
                                                         accepted: "masks whose every row keeps a visible key (query \(q) falls back to dense)")
                }
                for i in 0..<nq {
                    let slot = (layer * h + head) * nq + i
                    for j in mask.keptKeyBlocks(queryBlock: i) {
                        if g.isPartial(queryBlock: i, keyBlock: j) {
                            kvIndices[slot * nk + Int(kvNumBlocks[slot])] = Int32(j)
                            kvNumBlocks[slot] += 1
                        } else {
                            fullKvIndices[slot * nk + Int(fullKvNumBlocks[slot])] = Int32(j)
                            fullKvNumBlocks[slot] += 1
                        }
                    }
                }
            }
        }
    }
}
