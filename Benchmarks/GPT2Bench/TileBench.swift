import AttentionAnalysis
import Foundation
import Kernels

/// `--tiles`: one GPT-2-small attention layer (H = 12, D = 64, T tokens) on random Q, K, V,
/// timed in one process, interleaved run by run:
/// - dense causal attention (`CausalAttentionKernels` probabilities + P·V, heads in parallel, as
///   the forward pass runs it);
/// - `BlockSparseAttention` on random Bq = Bk = 64 masks (diagonal tiles always kept, each other
///   visible tile kept with probability p), at several densities;
/// - each estimator choosing the masks of the 12 heads.
/// Ratios are taken run by run against that run's dense time; medians printed.
func runTileBench(runs: Int, threads: Int, tokenCount t: Int, only: Set<String>? = nil) {
    let h = 12, d = 64, c = h * d, block = 64
    let qkv = AlignedFloats(count: t * 3 * c)                       // (T, 3C) q | k | v
    var seed: UInt32 = 2024
    for i in 0..<qkv.count { seed = seed &* 1664525 &+ 1013904223; qkv.base[i] = (Float(seed >> 8) / Float(1 << 24) - 0.5) * 4 }
    let out = AlignedFloats(count: t * c)                           // (T, C)
    let probs = AlignedFloats(count: h * t * t)                     // (H, T, T)
    let scratch = (0..<threads).map { _ in AlignedFloats(count: CausalAttentionKernels.scratchCount(tokens: t, headDim: d)) }
    let workspaces = (0..<threads).map { _ in BlockSparseWorkspace(tokens: t, headDim: d, queryBlockSize: block) }
    let scale = 1 / Float(d).squareRoot()
    let geometry = TileGeometry(tokens: t, queryBlockSize: block, keyBlockSize: block)
    func head(_ i: Int) -> HeadProjections {
        HeadProjections(q: qkv.base + i * d, k: qkv.base + c + i * d, v: qkv.base + 2 * c + i * d, rowStride: 3 * c,
                        tokens: t, headDim: d)
    }
    func dense() {
        ParallelChunks.run(chunks: h, threads: threads) { w, i in
            let p = head(i), pr = probs.base + i * t * t
            CausalAttentionKernels.probabilities(q: p.q, k: p.k, ld: 3 * c, tokens: t, headDim: d, scale: scale, probs: pr,
                                                 scratch: scratch[w].base)
            CausalAttentionKernels.weightedValues(probs: pr, v: p.v, ld: 3 * c, tokens: t, headDim: d, out: out.base + i * d,
                                                  ldOut: c, scratch: scratch[w].base)
        }
    }
    func sparse(_ masks: [TileMask]) {
        ParallelChunks.run(chunks: h, threads: threads) { w, i in
            BlockSparseAttention.attend(head(i), mask: masks[i], scale: scale, out: out.base + i * d, ldOut: c,
                                        workspace: workspaces[w])
        }
    }
    // Random masks per density: (label, masks of the 12 heads, computedFraction).
    var rng: UInt64 = 99
    let densities = [0.05, 0.15, 0.3, 0.5, 0.75, 1.0]
    let maskSets: [(p: Double, masks: [TileMask])] = densities.map { p in
        (p, (0..<h).map { _ in
            var mask = TileMask(geometry: geometry)
            for i in 0..<geometry.queryBlocks {
                mask.keepDiagonal(queryBlock: i)
                for j in 0..<geometry.visibleKeyBlocks(queryBlock: i) {
                    rng = rng &* 6364136223846793005 &+ 1442695040888963407
                    if Double(rng >> 11) / Double(1 << 53) < p { mask.keep(queryBlock: i, keyBlock: j) }
                }
            }
            return mask
        })
    }
    let estimators: [(String, TileEstimator, TileSelection)] = [
        ("meanPool", .meanPool, .coverage(0.9)), ("quest", .quest, .topK(4)), ("streaming", .streaming(sinkTokens: 4), .window(256)),
        ("antidiagonal8", .antidiagonal(stride: 8), .coverage(0.9)), ("lastQueries64", .lastQueries(count: 64), .topK(64)),
    ].filter { only?.contains($0.0) ?? true }
    func estimate(_ e: TileEstimator, _ s: TileSelection) -> [TileMask] {
        let slots = UnsafeMutableBufferPointer<TileMask?>.allocate(capacity: h)
        slots.initialize(repeating: nil)
        defer { slots.deinitialize(); slots.deallocate() }
        ParallelChunks.run(chunks: h, threads: threads) { _, i in
            let p = head(i)
            slots[i] = try? e.estimate(HeadQueriesKeys(q: p.q, k: p.k, rowStride: 3 * c, tokens: t, headDim: d),
                                       geometry: geometry, selection: s).mask
        }
        return slots.map { $0! }
    }
    var denseTimes: [Double] = []
    var sparseRatios = [[Double]](repeating: [], count: maskSets.count)
    var estimatorRatios = [[Double]](repeating: [], count: estimators.count)
    var estimatedFractions = [Double](repeating: 0, count: estimators.count)
    for run in 0...runs {
        let denseSeconds = seconds { dense() }
        for (index, set) in maskSets.enumerated() {
            let s = seconds { sparse(set.masks) }
            if run > 0 { sparseRatios[index].append(s / denseSeconds) }
        }
        for (index, (_, e, sel)) in estimators.enumerated() {
            var masks: [TileMask] = []
            let s = seconds { masks = estimate(e, sel) }
            if run > 0 { estimatorRatios[index].append(s / denseSeconds) }
            estimatedFractions[index] = masks.reduce(0) { $0 + $1.computedFraction } / Double(h)
        }
        if run > 0 { denseTimes.append(denseSeconds) }
    }
    print("tiles_dense tokens=\(t) heads=\(h) head_dim=\(d) threads=\(threads) median_s=\(fmt(median(denseTimes)))")
    for (index, set) in maskSets.enumerated() {
        let fraction = set.masks.reduce(0) { $0 + $1.computedFraction } / Double(h)
        let ratio = median(sparseRatios[index]), bound = 0.1 + 1.1 * fraction
        print("tiles_sparse keep_p=\(set.p) block=\(block) computed_fraction=\(fmt(fraction)) ratio_to_dense=\(fmt(ratio)) "
            + "bound=\(fmt(bound)) within=\(ratio <= bound)")
    }
    // One head on one thread, for scale: the dense attention's and each estimator's microseconds,
    // interleaved run by run (dense head, then each estimator), with the paired ratio's median.
    func denseHead() {
        let p = head(0), pr = probs.base
        CausalAttentionKernels.probabilities(q: p.q, k: p.k, ld: 3 * c, tokens: t, headDim: d, scale: scale, probs: pr,
                                             scratch: scratch[0].base)
        CausalAttentionKernels.weightedValues(probs: pr, v: p.v, ld: 3 * c, tokens: t, headDim: d, out: out.base,
                                              ldOut: c, scratch: scratch[0].base)
    }
    let p0 = head(0), qk0 = HeadQueriesKeys(q: p0.q, k: p0.k, rowStride: 3 * c, tokens: t, headDim: d)
    var denseHeadTimes: [Double] = []
    var headTimes = [[Double]](repeating: [], count: estimators.count), headRatios = headTimes
    for run in 0...runs {
        let dense = seconds { denseHead() }
        for (index, (_, e, sel)) in estimators.enumerated() {
            // The median of 5 back-to-back calls (an estimator takes microseconds: one call is
            // at the clock's and the scheduler's mercy).
            let one = median((0..<5).map { _ in seconds { _ = try? e.estimate(qk0, geometry: geometry, selection: sel) } })
            if run > 0 { headTimes[index].append(one); headRatios[index].append(one / dense) }
        }
        if run > 0 { denseHeadTimes.append(dense) }
    }
    print("tiles_dense_one_head us=\(fmt(median(denseHeadTimes) * 1e6))")
    for (index, (name, _, sel)) in estimators.enumerated() {
        print("tiles_estimator \(name) selection=\(sel) computed_fraction=\(fmt(estimatedFractions[index])) "
            + "ratio_to_dense=\(fmt(median(estimatorRatios[index]))) one_head_us=\(fmt(median(headTimes[index]) * 1e6)) "
            + "one_head_ratio=\(fmt(median(headRatios[index])))")
    }
}
