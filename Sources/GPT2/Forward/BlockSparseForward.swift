import Kernels

/// Causal self-attention of one layer on kept tiles only: out (T, C) from qkv (T, 3C), head h by
/// `BlockSparseAttention` with `masks[h]` (heads run in parallel, one workspace per worker). The
/// (H, T, T) probabilities are never formed; pruned tiles are never computed.
/// - Precondition: `checkTileMasks` accepted `masks`.
func blockSparseAttentionForward(out: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>, tokens t: Int,
                                 config: GPT2Config, masks: [TileMask], threads: Int) {
    let c = config.nEmbd, d = config.headDim
    let scale = 1 / Float(d).squareRoot()
    let largestQueryBlock = masks.map(\.geometry.queryBlockSize).max() ?? 1
    let workers = max(1, min(threads, masks.count))
    // Scratch: packed Kᵀ and V of one head plus one query block's compact scores, per worker.
    let workspaces = (0..<workers).map { _ in
        BlockSparseWorkspace(tokens: t, headDim: d, queryBlockSize: largestQueryBlock)
    }
    ParallelChunks.run(chunks: masks.count, threads: workers) { worker, head in
        let projections = HeadProjections(q: qkv + head * d, k: qkv + c + head * d, v: qkv + 2 * c + head * d,
                                          rowStride: 3 * c, tokens: t, headDim: d)
        BlockSparseAttention.attend(projections, mask: masks[head], scale: scale, out: out + head * d, ldOut: c,
                                    workspace: workspaces[worker])
    }
}

/// Throws `ForwardError.invalidTileMasks` unless there is one mask per head, each for `tokens` T.
func checkTileMasks(_ masks: [TileMask], layer: Int, heads: Int, tokens: Int) throws {
    guard masks.count == heads else {
        throw ForwardError.invalidTileMasks(layer: layer, reason: "\(masks.count) masks for \(heads) heads; accepted: one per head")
    }
    for (h, mask) in masks.enumerated() where mask.geometry.tokens != tokens {
        throw ForwardError.invalidTileMasks(layer: layer,
                                            reason: "mask of head \(h) is for \(mask.geometry.tokens) tokens; the input has \(tokens)")
    }
}
