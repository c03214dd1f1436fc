import Foundation
import Kernels

// The forward pass's layer kinds, one function each, in the order a block uses them
// (after karpathy/llm.c's train_gpt2.c). Shapes: T tokens, C = n_embd, H heads, D = C / H.
// The hot loops live in the Kernels module; these functions only lay out the tensors.

/// residual (T, C) = wte[tokens[t]] + wpe[t]. Tokens are already validated.
func encoderForward(residual: UnsafeMutablePointer<Float>, tokens: [Int], wte: FloatTensor, wpe: FloatTensor, channels c: Int) {
    for (t, token) in tokens.enumerated() {
        let out = residual + t * c
        out.update(from: wte.pointer + token * c, count: c)
        addInPlace(out, wpe.pointer + t * c, count: c)
    }
}

/// out (T, C) = LayerNorm(input (T, C)) with this layer's weight and bias (C); rows are split
/// into chunks of `layerNormChunkRows` shared by `threads` threads.
func layerNormForward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, tokens t: Int, channels c: Int,
                      weight: FloatTensor, bias: FloatTensor, epsilon: Float, threads: Int) {
    let chunks = (t + layerNormChunkRows - 1) / layerNormChunkRows
    ParallelChunks.run(chunks: chunks, threads: threads) { _, chunk in
        let r0 = chunk * layerNormChunkRows
        LayerNorm.forward(out: out + r0 * c, input: input + r0 * c, rows: min(layerNormChunkRows, t - r0), cols: c,
                          weight: weight.pointer, bias: bias.pointer, epsilon: epsilon)
    }
}

/// Rows of one layer-norm chunk: 64 rows of gpt2-small are 192 KiB, enough to amortise a hand-off.
let layerNormChunkRows = 64

/// out (T, N) = input (T, K) · W (K, N) + bias (N), or `out += …` when `addToOutput` (the
/// residual connection, fused). W is packed.
/// `inputStride` is the row stride of `input` in floats (default K).
func matmulForward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, inputStride: Int? = nil, tokens t: Int,
                   weight: PackedMatrix, bias: FloatTensor?, addToOutput: Bool, threads: Int) {
    Gemm.multiply(m: t, a: input, lda: inputStride ?? weight.k, b: weight, c: out, ldc: weight.n, bias: bias?.pointer,
                  output: addToOutput ? .accumulate : .overwrite, threads: threads)
}

/// out (T, I) = gelu_new(input (T, C) · W (C, I) + bias (I)): the MLP's c_fc with its activation
/// applied to each output tile as the GEMM finishes it. `out` rows are `outStride` floats apart.
func matmulGeluForward(out: UnsafeMutablePointer<Float>, outStride: Int, input: UnsafePointer<Float>, tokens t: Int,
                       weight: PackedMatrix, bias: FloatTensor, threads: Int) {
    Gemm.multiply(m: t, a: input, lda: weight.k, b: weight, c: out, ldc: outStride, bias: bias.pointer,
                  output: .overwrite, epilogue: .geluNew, threads: threads)
}

/// Causal self-attention of one layer: out (T, C) from qkv (T, 3C), through probs (H, T, T).
///
/// Passes, per head h (heads run in parallel):
/// 1. scores = Q_h K_hᵀ (T, T), scaled by 1/√D; tiles wholly above the diagonal are skipped;
/// 2. causal mask + softmax per row: keys k > q get probability exactly 0 (they are the
///    future, and a 0 — not a tiny number — is what lets analyses count them as masked);
/// (with `options.attentionTileMasks` choosing masks for the layer, all of this is replaced by
/// `blockSparseAttentionForward`: no probabilities, no probability hooks);
/// then, per head on its worker, the caller's head intervention and head observer (the observer
/// after the layer intervention when there is one); for all heads at once, the caller's
/// intervention may rewrite probs and the observer sees them; and
/// 3. weighted sum: out[:, hD…(h+1)D) = probs_h · V_h, reading only keys ≤ each query
///    (skipped when `weightValues` is false: nobody reads `out`).
/// - Returns: the wall time of the kernels (passes 1–3, or the block-sparse pass; the hooks
///   between them not counted) and of `options.attentionTileMasks` choosing the masks, seconds.
func attentionForward(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>,
                      tokens t: Int, config: GPT2Config, layer: Int, options: ForwardOptions,
                      scratch: [AlignedFloats], weightValues: Bool = true, threads: Int) throws -> AttentionStepSeconds {
    let c = config.nEmbd, h = config.nHead, d = config.headDim
    let scale = 1 / Float(d).squareRoot()
    let queriesKeys = LayerQueriesKeys(qkv: qkv, tokens: t, heads: h, headDim: d)
    try options.queryKeyObserver?(layer, queriesKeys)
    var maskSeconds = 0.0
    if let choose = options.attentionTileMasks {
        var chosen: [TileMask]?
        maskSeconds = try secondsOf { chosen = try choose(layer, queriesKeys) }
        if let masks = chosen {
            try checkTileMasks(masks, layer: layer, heads: h, tokens: t)
            guard weightValues else { return AttentionStepSeconds(kernels: 0, tileMasks: maskSeconds) }
            let kernels = secondsOf {
                blockSparseAttentionForward(out: out, qkv: qkv, tokens: t, config: config, masks: masks, threads: threads)
            }
            return AttentionStepSeconds(kernels: kernels, tileMasks: maskSeconds)
        }
    }
    let headObserver = options.attentionHeadObserver, headIntervention = options.attentionHeadIntervention
    // Heads are observed as they are computed unless a layer intervention must rewrite them first.
    let observeInline = options.attentionIntervention == nil
    let headError = FirstError()
    // (H, T) row entropies, when asked for.
    var entropies = [Float](repeating: 0, count: options.attentionRowEntropy ? h * t : 0)
    var seconds = entropies.withUnsafeMutableBufferPointer { entropyBuffer in
        // (An empty array may still have a base address: only use it when entropies were asked for.)
        let entropyBase = options.attentionRowEntropy ? entropyBuffer.baseAddress : nil
        return secondsOf { ParallelChunks.run(chunks: h, threads: threads) { worker, head in
        // Not after an intervention: the softmax's entropies would describe other probabilities.
        let rowEntropy = headIntervention == nil ? entropyBase.map { $0 + head * t } : nil
        CausalAttentionKernels.probabilities(q: qkv + head * d, k: qkv + c + head * d, ld: 3 * c, tokens: t, headDim: d,
                                             scale: scale, probs: probs + head * t * t, scratch: scratch[worker].base,
                                             rowEntropy: rowEntropy)
        if let headIntervention {
            headError.run { try headIntervention(layer, head, worker, UnsafeMutableBufferPointer(start: probs + head * t * t, count: t * t)) }
        }
        if observeInline, let headObserver {
            headError.run {
                try headObserver(layer, head, worker, UnsafeBufferPointer(start: probs + head * t * t, count: t * t),
                                 rowEntropy.map { UnsafeBufferPointer(start: $0, count: t) })
            }
        }
    } } }
    try headError.rethrow()
    let all = UnsafeMutableBufferPointer(start: probs, count: h * t * t)   // (H, T, T)
    try options.attentionIntervention?(layer, all)
    if !observeInline, let headObserver {
        // After a layer intervention the probabilities changed: the softmax's entropies no longer apply.
        ParallelChunks.run(chunks: h, threads: threads) { worker, head in
            headError.run { try headObserver(layer, head, worker, UnsafeBufferPointer(start: probs + head * t * t, count: t * t), nil) }
        }
        try headError.rethrow()
    }
    try options.attentionObserver?(layer, UnsafeBufferPointer(all))
    guard weightValues else { return AttentionStepSeconds(kernels: seconds, tileMasks: maskSeconds) }
    seconds += secondsOf { ParallelChunks.run(chunks: h, threads: threads) { worker, head in
        CausalAttentionKernels.weightedValues(probs: probs + head * t * t, v: qkv + 2 * c + head * d, ld: 3 * c, tokens: t,
                                              headDim: d, out: out + head * d, ldOut: c, scratch: scratch[worker].base)
    } }
    return AttentionStepSeconds(kernels: seconds, tileMasks: maskSeconds)
}

/// Where one layer's attention step spent its time, seconds (monotonic clock).
struct AttentionStepSeconds {
    /// The kernels: Q·Kᵀ, softmax, P·V (or the block-sparse pass), per-head hooks included.
    var kernels: Double
    /// `ForwardOptions.attentionTileMasks` choosing the layer's masks (0 without it).
    var tileMasks: Double
}

/// Wall time of `body`, seconds (monotonic clock).
private func secondsOf(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
