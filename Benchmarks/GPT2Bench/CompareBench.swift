import AttentionAnalysis
import SyntheticAttention
import Foundation
import Kernels

/// `--compare`: the per-point costs of the end-to-end path on synthetic data of the real
/// shape, no model needed:
///  (a) `DenseLogitsReference.init` and `.compare` on `(T, V)` logits (T = `tokens`,
///      V = 50257): normal-ish values spanning about ±10 with one peaked token per row, the
///      pruned copy perturbed by up to ±0.05;
///  (b) `AttentionIntervention.apply` on one layer `(12, T, T)` of causal softmax attention
///      (`SyntheticAttention.layer`, peaked) for threshold τ = 0.01 at B = 16/32/64,
///      coverage 0.9 and topK 8 at B = 32 (each run refills one buffer, untimed); and, with
///      `apply(toHead:worker:)`, each head pruned right after it is written (`perHeadBench`).
/// Run 0 warms up. Prints medians (seconds) and result checksums (equal checksums: equal
/// results bit for bit, to compare two builds).
func runCompareBench(runs: Int, threads: Int, tokenCount: Int) throws {
    let t = tokenCount, v = 50_257, heads = 12
    let (full, pruned, tokens) = syntheticLogits(tokens: t, vocabularySize: v)
    var initTimes: [Double] = [], compareTimes: [Double] = []
    var metrics: EndToEndMetrics?
    for run in 0...runs {
        let made = try timed { try DenseLogitsReference(logits: full, tokens: tokens, vocabularySize: v, threadCount: threads) }
        let compared = try timed { try made.value.compare(prunedLogits: pruned) }
        guard run > 0 else { continue }
        initTimes.append(made.seconds); compareTimes.append(compared.seconds)
        metrics = compared.value
    }
    if let m = metrics {
        print("compare T=\(t) V=\(v) threads=\(threads) runs=\(runs) init_median_s=\(fmt(median(initTimes))) "
            + "compare_median_s=\(fmt(median(compareTimes))) compare_all_s=\(compareTimes.map(fmt).joined(separator: ","))")
        print(String(format: "compare_result outputKL=%.17g top1Agreement=%.17g nllFull=%.17g nllPruned=%.17g",
                     m.outputKL, m.top1Agreement, m.nllFull ?? .nan, m.nllPruned ?? .nan))
    }

    let layer = SyntheticAttention.layer(heads: heads, tokens: t)
    let points = [16, 32, 64].map { SweepSetting(selection: .threshold, blockSize: $0, value: 0.01) } + [
        SweepSetting(selection: .coverage, blockSize: 32, value: 0.9),
        SweepSetting(selection: .topK, blockSize: 32, value: 8),
    ]
    for point in points {
        let intervention = try AttentionIntervention(point: point, heads: heads, tokens: t, threadCount: threads)
        var times: [Double] = []
        // One buffer for all runs, as the forward pass reuses its attention buffer; refilled untimed.
        var work = [Float](repeating: 0, count: layer.count)
        for run in 0...runs {
            let s = try work.withUnsafeMutableBufferPointer { probs in
                _ = probs.update(fromContentsOf: layer)
                return try seconds { try intervention.apply(to: probs) }
            }
            if run > 0 { times.append(s) }
        }
        print("intervention \(point.selection.rawValue) value=\(point.value) B=\(point.blockSize) H=\(heads) T=\(t) "
            + "threads=\(threads) apply_median_s=\(fmt(median(times))) apply_all_s=\(times.map(fmt).joined(separator: ",")) "
            + "checksum=\(String(bitChecksum(work), radix: 16)) changed_entries=\(zip(work, layer).filter { $0.0 != $0.1 }.count)")
        try perHeadBench(intervention, layer: layer, runs: runs, threads: threads)
    }
}

/// `apply(toHead:worker:)` called right after each head is written, as a forward pass could:
/// per run, heads on `threads` threads each (a) copied in (standing in for the softmax) and
/// (b) copied in and pruned at once; the intervention's cost is (b) − (a).
private func perHeadBench(_ intervention: AttentionIntervention, layer: [Float], runs: Int, threads: Int) throws {
    let h = intervention.heads, t = intervention.tokens
    var work = [Float](repeating: 0, count: layer.count)
    var copyTimes: [Double] = [], pruneTimes: [Double] = []
    var failure: Error?
    try layer.withUnsafeBufferPointer { source in
        try work.withUnsafeMutableBufferPointer { target in
            let from = source.baseAddress!, to = target.baseAddress!
            for run in 0...runs {
                let copy = seconds {
                    ParallelChunks.run(chunks: h, threads: threads) { _, head in
                        (to + head * t * t).update(from: from + head * t * t, count: t * t)
                    }
                }
                let prune = seconds {
                    ParallelChunks.run(chunks: h, threads: threads) { worker, head in
                        (to + head * t * t).update(from: from + head * t * t, count: t * t)
                        do {
                            try intervention.apply(toHead: UnsafeMutableBufferPointer(start: to + head * t * t, count: t * t),
                                                   worker: worker)
                        } catch { failure = error }
                    }
                }
                if let failure { throw failure }
                if run > 0 { copyTimes.append(copy); pruneTimes.append(prune) }
            }
        }
    }
    let point = intervention.point
    print("intervention_per_head \(point.selection.rawValue) value=\(point.value) B=\(point.blockSize) H=\(h) T=\(t) "
        + "threads=\(threads) copy_median_s=\(fmt(median(copyTimes))) copy_and_apply_median_s=\(fmt(median(pruneTimes))) "
        + "apply_estimate_s=\(fmt(median(pruneTimes) - median(copyTimes))) checksum=\(String(bitChecksum(work), radix: 16))")
}

/// Dense `(T, V)` logits, a slightly perturbed copy and the tokens `benchTokens`, from a seeded LCG.
private func syntheticLogits(tokens t: Int, vocabularySize v: Int) -> (full: [Float], pruned: [Float], tokens: [Int]) {
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    func uniform() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24)                          // [0, 1)
    }
    var full = [Float](repeating: 0, count: t * v), pruned = full
    for p in 0..<t {
        for k in 0..<v {
            let z = (uniform() + uniform() + uniform() + uniform() - 2) * 5     // about N(0, 2.9), within ±10
            full[p * v + k] = z
            pruned[p * v + k] = z + (uniform() - 0.5) * 0.1
        }
        let peak = (p * 7919 + 11) % v                                          // one likely token per row
        full[p * v + peak] += 12
        pruned[p * v + peak] += 12
    }
    return (full, pruned, benchTokens(count: t, vocabularySize: v))
}

/// FNV-1a over the bit patterns of `values`.
private func bitChecksum(_ values: [Float]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for x in values { hash = (hash ^ UInt64(x.bitPattern)) &* 0x100_0000_01b3 }
    return hash
}
