import AttentionAnalysis
import Dispatch
import Foundation
import SyntheticAttention

/// `--profile-only`: `ProfileAccumulator` alone on synthetic causal attention (12 layers × 12
/// heads × T × T, the same layer fed 12 times), per block size: what `profileAttention` adds to
/// the attention-only forward pass. Prints seconds (median of `runs`) per block size.
func runProfileOnlyBench(tokens: Int, blockSizes: [Int], runs: Int, threads: Int) throws {
    let layers = 12, heads = 12
    let layer = SyntheticAttention.layer(heads: heads, tokens: tokens)
    for blockSize in blockSizes {
        var times: [Double] = []
        for _ in 0..<max(runs, 1) {
            let acc = try ProfileAccumulator(options: ProfileOptions(blockSize: blockSize), tokens: tokens, heads: heads,
                                             layers: layers, threadCount: threads)
            let start = DispatchTime.now().uptimeNanoseconds
            for l in 0..<layers {
                try layer.withUnsafeBufferPointer { try acc.consume(layer: l, attention: $0) }
            }
            _ = try acc.result()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print("profile_only tokens=\(tokens) block_size=\(blockSize) threads=\(threads) median_s=\(fmt(median(times))) min_s=\(fmt(times.min() ?? .nan)) runs=\(times.count)")
    }
}
