import Foundation
import Kernels

/// Activations of one forward pass, reused layer after layer (one layer's attention, not L).
/// Owned by a single call of `GPT2Model.forward` at a time: never shared between threads' calls.
/// Sized for up to `tokenCapacity` tokens; a call with T ≤ capacity lays its tensors out with
/// T (row strides are T-based), so a larger set serves a smaller call.
final class ActivationBuffers {
    let tokenCapacity: Int
    let workers: Int
    let residual: AlignedFloats      // (T, C)   the residual stream
    let normed: AlignedFloats        // (T, C)   ln_1 / ln_2 / ln_f output
    let qkv: AlignedFloats           // (T, 3C)  q | k | v, head h at columns h·D of each third
    let attention: AlignedFloats     // (T, C)   heads' weighted values, concatenated
    let probs: AlignedFloats         // (H, T, T) this layer's attention probabilities
    let mlpHidden: AlignedFloats     // (T, I)   gelu_new(c_fc output), rows `mlpStride` floats apart
    /// Row stride of `mlpHidden`, floats: I, padded when I·4 bytes would put the 14 rows the GEMM
    /// micro-kernel reads at once in the same L1 sets (gpt2's I = 3072 is 12 KiB: 3088).
    let mlpStride: Int
    let headScratch: [AlignedFloats] // one per worker thread for the attention kernels

    init(config: GPT2Config, tokens t: Int, workers: Int) {
        let c = config.nEmbd
        tokenCapacity = t
        self.workers = max(workers, 1)
        residual = AlignedFloats(count: t * c)
        normed = AlignedFloats(count: t * c)
        qkv = AlignedFloats(count: t * 3 * c)
        attention = AlignedFloats(count: t * c)
        probs = AlignedFloats(count: config.nHead * t * t)
        mlpStride = Gemm.rowsAliasInL1(lda: config.nInner) ? config.nInner + Gemm.rowPadding : config.nInner
        mlpHidden = AlignedFloats(count: t * mlpStride)
        let scratchCount = CausalAttentionKernels.scratchCount(tokens: t, headDim: config.headDim)
        headScratch = (0..<self.workers).map { _ in AlignedFloats(count: scratchCount) }
    }

    /// Bytes held.
    var byteCount: Int {
        [residual, normed, qkv, attention, probs, mlpHidden].reduce(0) { $0 + $1.byteCount }
            + headScratch.reduce(0) { $0 + $1.byteCount }
    }
}

/// Keeps the activations of the last finished forward pass for the next one, so a long-lived
/// model does not map, fault in and zero ≈ 80 MB (T = 1024, gpt2-small) on every call.
///
/// Holds at most one idle set, the largest returned. Thread-safe: concurrent calls each check
/// out their own set (the second allocates).
final class ActivationBufferPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: ActivationBuffers?

    /// A set for `tokens` T and `workers` threads: the idle one when large enough, else a new one.
    func checkOut(config: GPT2Config, tokens: Int, workers: Int) -> ActivationBuffers {
        lock.lock()
        if let set = idle, set.tokenCapacity >= tokens, set.workers >= max(workers, 1) {
            idle = nil
            lock.unlock()
            return set
        }
        lock.unlock()
        return ActivationBuffers(config: config, tokens: tokens, workers: workers)
    }

    /// Gives a set back after its call; the pool keeps the larger of it and the idle one.
    func checkIn(_ set: ActivationBuffers) {
        lock.lock(); defer { lock.unlock() }
        if let current = idle, current.tokenCapacity >= set.tokenCapacity { return }
        idle = set
    }

    /// Frees the idle set (e.g. after a long input, to give its memory back).
    func drain() {
        lock.lock(); defer { lock.unlock() }
        idle = nil
    }

    /// Bytes held by the idle set.
    var idleBytes: Int {
        lock.lock(); defer { lock.unlock() }
        return idle?.byteCount ?? 0
    }
}
