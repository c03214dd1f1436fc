import GPT2
import Kernels

/// Times `GPT2Model.forward` on the GPT-2-small shape at each T: attention captured by an
/// observer (a copy of every layer's (H, T, T) kept when `keepAttention`, else a checksum),
/// with and without the LM head. Prints medians of `runs` after one warm-up.
func runForwardBench(runs: Int, threads: Int, tokenCounts: [Int], keepAttention: Bool) {
    let config = GPT2Config.gpt2Small
    var packSeconds = 0.0
    var model: GPT2Model?
    do {
        let weights = randomWeights(config: config)
        packSeconds = seconds { model = GPT2Model(weights: weights, threads: threads) }
    }
    guard let model else { return }
    print("model_init_s=\(fmt(packSeconds)) packed_weight_bytes=\(model.packedWeightBytes)")
    for t in tokenCounts {
        let tokens = (0..<t).map { ($0 * 7919 + 13) % config.vocabSize }
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
                let time = seconds { _ = try? model.forward(tokens: tokens, options: options) }
                if run > 0 { times.append(time) }
                _ = checksum
                _ = kept.count
            }
            print("forward T=\(t) lm_head=\(computeLogits) keep_attention=\(keepAttention) threads=\(threads) median_s=\(fmt(median(times))) min_s=\(fmt(times.min() ?? .nan))")
        }
    }
}
