import AttentionAnalysis
import Foundation
import GPT2
import Kernels

/// The variants `runForwardBench` times, in order.
let forwardBenchVariants = ["lm_head", "body", "attention_only", "profile_b4", "profile_b32"]

/// Times `GPT2Model.forward` on the GPT-2-small shape at each T: attention captured by an
/// observer (a copy of every layer's (H, T, T) kept when `keepAttention`, else a checksum),
/// with the LM head, without it, and attention only (the pass stopping after the last layer's
/// attention). Prints medians of `runs` after one warm-up; the profile variants also print
/// `analysis_s`, the head observer's seconds averaged over the workers (the daemon's "analysis"
/// phase). `variants` (nil: all) picks some of them.
/// The model is loaded from `modelDirectory` (checkpoint load + packing, as the daemon does)
/// or, without one, built from random weights in memory.
func runForwardBench(runs: Int, threads: Int, tokenCounts: [Int], modelDirectory: URL?, keepAttention: Bool,
                     variants: [String]? = nil) throws {
    let model: GPT2Model
    if let modelDirectory {
        model = try loadBenchModel(directory: modelDirectory, runs: 1, threads: threads).model
    } else {
        let built = timed { GPT2Model(weights: randomWeights(config: .gpt2Small), threads: threads) }
        model = built.value
        print("model_init_s=\(fmt(built.seconds)) packed_weight_bytes=\(model.packedWeightBytes)")
    }
    for t in tokenCounts {
        let tokens = benchTokens(count: t, vocabularySize: model.config.vocabSize)
        // lm_head: all blocks + ln_f + LM head. body: all blocks + ln_f, no LM head (hidden states
        // kept, 13 × (T, C), so the pass cannot stop early). attention_only: no LM head and nothing
        // after the last layer's attention (the pass stops there; what every analysis runs).
        // profile_b4, profile_b32: attention only, each head profiled on its worker as it is
        // computed (what `profileAttention` runs, head roles included, minus the daemon).
        for variant in forwardBenchVariants where variants?.contains(variant) ?? true {
            let computeLogits = variant == "lm_head"
            var times: [Double] = [], analysisTimes: [Double] = []
            // Per worker: nanoseconds profiling in this run (each slot written by its worker only).
            let nanoseconds = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: model.threads)
            defer { nanoseconds.deallocate() }
            for run in 0...runs {
                nanoseconds.initialize(repeating: 0)
                var kept: [[Float]] = []
                var checksum: Float = 0
                var options = ForwardOptions()
                options.computeLogits = computeLogits
                options.keepHiddenStates = variant == "body"
                if variant.hasPrefix("profile_b"), let b = Int(variant.dropFirst("profile_b".count)) {
                    let c = model.config
                    let acc = try ProfileAccumulator(options: ProfileOptions(blockSize: b), tokens: t, heads: c.nHead,
                                                     layers: c.nLayer, ids: tokens, threadCount: model.threads)
                    options.attentionRowEntropy = true
                    options.attentionHeadObserver = { l, h, w, probs, rowEntropy in
                        let start = DispatchTime.now().uptimeNanoseconds
                        defer { nanoseconds[w] &+= DispatchTime.now().uptimeNanoseconds - start }
                        try acc.consume(layer: l, head: h, worker: w, attention: probs, rowEntropy: rowEntropy)
                    }
                }
                options.attentionObserver = { _, probs in
                    if keepAttention { kept.append(Array(probs)) } else { checksum += probs[probs.count - 1] }
                }
                let time = try seconds { _ = try model.forward(tokens: tokens, options: options) }
                if run > 0 { times.append(time) }
                if run > 0 && variant.hasPrefix("profile_b") {
                    analysisTimes.append(Double(nanoseconds.reduce(0, +)) / 1e9 / Double(nanoseconds.count))
                }
                _ = checksum
                _ = kept.count
            }
            print("forward T=\(t) variant=\(variant) lm_head=\(computeLogits) keep_attention=\(keepAttention) threads=\(threads) median_s=\(fmt(median(times))) min_s=\(fmt(times.min() ?? .nan))"
                  + (analysisTimes.isEmpty ? "" : " analysis_s=\(fmt(median(analysisTimes)))"))
        }
    }
}
