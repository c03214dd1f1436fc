import AttentionAnalysis
import Dispatch
import Foundation
import SyntheticAttention

/// `--profile-only`: `ProfileAccumulator` alone on synthetic causal attention (12 layers × 12
/// heads × T × T, the same layer fed 12 times), per block size: what `profileAttention` adds to
/// the attention-only forward pass. Prints seconds (median of `runs`) per block size. With
/// `roles`, the accumulator is also given token ids (every 7th id repeats an earlier one) and
/// computes the head-role scores (Protocol/README.md §11) too.
func runProfileOnlyBench(tokens: Int, blockSizes: [Int], runs: Int, threads: Int, roles: Bool = false) throws {
    let layers = 12, heads = 12
    let layer = SyntheticAttention.layer(heads: heads, tokens: tokens)
    let ids = roles ? (0..<tokens).map { $0 % 7 == 6 ? $0 / 2 : $0 } : nil
    for blockSize in blockSizes {
        var times: [Double] = []
        for _ in 0..<max(runs, 1) {
            let acc = try ProfileAccumulator(options: ProfileOptions(blockSize: blockSize), tokens: tokens, heads: heads,
                                             layers: layers, ids: ids, threadCount: threads)
            let start = DispatchTime.now().uptimeNanoseconds
            for l in 0..<layers {
                try layer.withUnsafeBufferPointer { try acc.consume(layer: l, attention: $0) }
            }
            _ = try acc.result(induction: roles ? Array(repeating: 0, count: layers * heads) : nil)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print("profile_only roles=\(roles) tokens=\(tokens) block_size=\(blockSize) threads=\(threads) median_s=\(fmt(median(times))) min_s=\(fmt(times.min() ?? .nan)) runs=\(times.count)")
    }
}
