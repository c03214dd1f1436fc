import AttentionAnalysis
import Dispatch
import Foundation
import SyntheticAttention

/// `--profile-only`: `ProfileAccumulator` alone on synthetic causal attention (12 layers × 12
/// heads × T × T, the same layer fed 12 times), per block size: what `profileAttention` adds to
/// the attention-only forward pass. Prints seconds (median of `runs`) per block size. With
/// `roles`, the accumulator is also given token ids (every 7th id repeats an earlier one) and
/// computes the head-role scores (Protocol/README.md §11) too. Then the same head by head on
/// one thread, each head just copied into a working buffer (`profile_heads_in_cache`): the
/// daemon's case, where the head observer reads a head its softmax has just written.
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
    // Head by head, as the daemon feeds it from the forward pass's head observer: each head is
    // first copied into a working buffer (as the softmax writes it, so it is in cache), then
    // profiled with its rows' entropies given (as the softmax hands them over); only the profiling is timed. One thread: CPU seconds for all L·H heads.
    let head = tokens * tokens
    let work = UnsafeMutablePointer<Float>.allocate(capacity: head)
    defer { work.deallocate() }
    // The rows' entropies, as the forward pass's softmax hands them over.
    let entropies: [Float] = (0..<(heads * tokens)).map { i in
        let row = (i / tokens) * head + (i % tokens) * tokens
        var h = 0.0
        for k in 0...(i % tokens) where layer[row + k] > 0 { h -= Double(layer[row + k]) * log(Double(layer[row + k])) }
        return Float(h)
    }
    for blockSize in blockSizes {
        var times: [Double] = []
        for _ in 0..<max(runs, 1) {
            let acc = try ProfileAccumulator(options: ProfileOptions(blockSize: blockSize), tokens: tokens, heads: heads,
                                             layers: layers, ids: ids, threadCount: 1)
            var nanoseconds: UInt64 = 0
            try layer.withUnsafeBufferPointer { all in
                for l in 0..<layers {
                    for h in 0..<heads {
                        work.update(from: all.baseAddress! + h * head, count: head)
                        let start = DispatchTime.now().uptimeNanoseconds
                        try entropies.withUnsafeBufferPointer { e in
                            try acc.consume(layer: l, head: h, worker: 0, attention: UnsafeBufferPointer(start: work, count: head),
                                            rowEntropy: UnsafeBufferPointer(rebasing: e[(h * tokens)..<((h + 1) * tokens)]))
                        }
                        nanoseconds += DispatchTime.now().uptimeNanoseconds - start
                    }
                }
            }
            _ = try acc.result(induction: roles ? Array(repeating: 0, count: layers * heads) : nil)
            times.append(Double(nanoseconds) / 1e9)
        }
        print("profile_heads_in_cache roles=\(roles) tokens=\(tokens) block_size=\(blockSize) threads=1 median_s=\(fmt(median(times))) min_s=\(fmt(times.min() ?? .nan)) runs=\(times.count)")
    }
}
