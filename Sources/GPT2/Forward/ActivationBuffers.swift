import Kernels

/// Activations of one forward pass, reused layer after layer (one layer's attention, not L).
/// Owned by a single call of `GPT2Model.forward`: never shared between threads' calls.
final class ActivationBuffers {
    let residual: AlignedFloats      // (T, C)   the residual stream
    let normed: AlignedFloats        // (T, C)   ln_1 / ln_2 / ln_f output
    let qkv: AlignedFloats           // (T, 3C)  q | k | v, head h at columns h·D of each third
    let attention: AlignedFloats     // (T, C)   heads' weighted values, concatenated
    let probs: AlignedFloats         // (H, T, T) this layer's attention probabilities
    let mlpHidden: AlignedFloats     // (T, I)   c_fc output, then gelu_new of it
    let headScratch: [AlignedFloats] // one per worker thread for the attention kernels

    init(config: GPT2Config, tokens t: Int, workers: Int) {
        let c = config.nEmbd
        residual = AlignedFloats(count: t * c)
        normed = AlignedFloats(count: t * c)
        qkv = AlignedFloats(count: t * 3 * c)
        attention = AlignedFloats(count: t * c)
        probs = AlignedFloats(count: config.nHead * t * t)
        mlpHidden = AlignedFloats(count: t * config.nInner)
        let scratchCount = CausalAttentionKernels.scratchCount(tokens: t, headDim: config.headDim)
        headScratch = (0..<max(workers, 1)).map { _ in AlignedFloats(count: scratchCount) }
    }
}
