import Foundation
import GPT2
import Kernels

/// Times `GPT2Model.forward` on the GPT-2-small shape at each T: attention captured by an
/// observer (a copy of every layer's (H, T, T) kept when `keepAttention`, else a checksum),
/// with and without the LM head. Prints medians of `runs` after one warm-up.
/// The model is loaded from `modelDirectory` (checkpoint load + packing, as the daemon does)
/// or, without one, built from random weights in memory.
func runForwardBench(runs: Int, threads: Int, tokenCounts: [Int], modelDirectory: URL?, keepAttention: Bool) throws {
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
        for computeLogits in [true, false] {
            var times: [Double] = []
            for run in 0...runs {
                var kept: [[Float]] = []
                var checksum: Float = 0
                var options = ForwardOptions()
                options.computeLogits = computeLogits
                options.attentionObserver = { _, probs in
                    if keepAttention { kept.append(Array(probs)) } else { checksum += probs[probs.count - 1] }
                }
                let time = try seconds { _ = try model.forward(tokens: tokens, options: options) }
                if run > 0 { times.append(time) }
                _ = checksum
                _ = kept.count
            }
            print("forward T=\(t) lm_head=\(computeLogits) keep_attention=\(keepAttention) threads=\(threads) median_s=\(fmt(median(times))) min_s=\(fmt(times.min() ?? .nan))")
        }
    }
}
