import Foundation
import Kernels

/// A GPT-2-family model ready to run: weights packed for the GEMM once, at init.
///
/// Concurrent `forward` calls are safe (each checks out its own activations; they share the
/// cores). Memory of one call: the activations of one layer plus one layer's attention
/// (H, T, T), and the logits (T, V) when asked for. The activations of the last call stay
/// allocated for the next one (`releaseCachedActivations()` frees them).
public final class GPT2Model: @unchecked Sendable {
    public let config: GPT2Config
    /// Threads the matmuls and attention heads use.
    public let threads: Int
    private let wte: FloatTensor                    // (V, C)
    private let wpe: FloatTensor                    // (P, C)
    private let layers: [PackedLayerWeights]        // L blocks
    private let lnFWeight: FloatTensor              // (C)
    private let lnFBias: FloatTensor                // (C)
    private let lmHead: PackedMatrix                // (C, V) = lm_head.weightᵀ
    /// The last call's activations, kept for the next call (≈ 80 MB at T = 1024 for gpt2-small).
    private let bufferPool = ActivationBufferPool()

    /// Packs every matmul weight (blocks in parallel). About 0.2 s for gpt2-small.
    /// - Parameter threads: threads for packing and every forward pass (default: active cores).
    public convenience init(weights: GPT2Weights, threads: Int = ParallelChunks.defaultThreads) {
        // Never cancelled, so never throws.
        try! self.init(weights: weights, threads: threads, isCancelled: { false })
    }

    /// Packs every matmul weight, stopping early when `isCancelled` turns true.
    /// - Parameter isCancelled: polled before each block is packed (from the packing threads,
    ///   so it must be thread-safe); once true, the remaining blocks are skipped.
    /// - Throws: `CancellationError` when packing was stopped.
    public init(weights: GPT2Weights, threads: Int = ParallelChunks.defaultThreads, isCancelled: @escaping @Sendable () -> Bool) throws {
        let config = weights.config
        self.config = config
        self.threads = max(1, threads)
        wte = weights.wte
        wpe = weights.wpe
        lnFWeight = weights.lnFWeight
        lnFBias = weights.lnFBias
        // Blocks and the LM head are packed as independent chunks; the LM head is chunk L.
        let count = weights.layers.count
        let slots = PackedSlots<PackedLayerWeights>(count: count)
        let head = PackedSlots<PackedMatrix>(count: 1)
        let lm = weights.lmHead
        ParallelChunks.run(chunks: count + 1, threads: self.threads) { _, i in
            if isCancelled() { return }
            if i == count {
                head.set(0, PackedMatrix(k: config.nEmbd, n: config.vocabSize, source: lm.pointer, rowStride: config.nEmbd, transposed: true))
            } else {
                slots.set(i, PackedLayerWeights(weights.layers[i], config: config))
            }
        }
        if isCancelled() { throw CancellationError() }
        layers = slots.values
        lmHead = head.values[0]
    }

    /// Frees the activations kept from the last forward pass (they are re-allocated on demand).
    public func releaseCachedActivations() { bufferPool.drain() }

    /// Bytes of activations kept from the last forward pass for the next one.
    public var cachedActivationBytes: Int { bufferPool.idleBytes }

    /// Bytes held by the packed weight panels (a second copy of the matmul weights).
    public var packedWeightBytes: Int { layers.reduce(lmHead.byteCount) { $0 + $1.packedBytes } }

    /// Runs the model on `tokens` (batch 1, positions 0…T-1).
    ///
    /// - Throws: `ForwardError` for empty, too long or out-of-vocabulary input (checked before any
    ///   work); whatever a hook throws (the pass stops there).
    public func forward(tokens: [Int], options: ForwardOptions = ForwardOptions()) throws -> ForwardOutput {
        try validate(tokens)
        let t = tokens.count, c = config.nEmbd
        let eps = config.layerNormEpsilon
        let buffers = bufferPool.checkOut(config: config, tokens: t, workers: threads)
        defer { bufferPool.checkIn(buffers) }
        var hidden: [[Float]]? = options.keepHiddenStates ? [] : nil
        // Without logits or hidden states nothing after the last layer's attention probabilities
        // is observable: that layer's P·V, c_proj and MLP are skipped.
        let attentionOnly = !options.computeLogits && !options.keepHiddenStates
        var attentionSeconds = 0.0, tileMaskSeconds = 0.0

        encoderForward(residual: buffers.residual.base, tokens: tokens, wte: wte, wpe: wpe, channels: c)
        for (l, layer) in layers.enumerated() {
            try options.checkCancellation?()
            hidden?.append(copy(buffers.residual, count: t * c))
            let lastObservable = attentionOnly && l == layers.count - 1
            // Attention sub-block: residual += c_proj(attn(ln_1(residual))).
            layerNormForward(out: buffers.normed.base, input: buffers.residual.base, tokens: t, channels: c,
                             weight: layer.ln1Weight, bias: layer.ln1Bias, epsilon: eps, threads: threads)
            matmulForward(out: buffers.qkv.base, input: buffers.normed.base, tokens: t, weight: layer.qkv,
                          bias: layer.qkvBias, addToOutput: false, threads: threads)
            let step = try attentionForward(out: buffers.attention.base, probs: buffers.probs.base, qkv: buffers.qkv.base,
                                            tokens: t, config: config, layer: l, options: options,
                                            scratch: buffers.headScratch, weightValues: !lastObservable, threads: threads)
            attentionSeconds += step.kernels
            tileMaskSeconds += step.tileMasks
            if lastObservable {
                return ForwardOutput(logits: nil, hiddenStates: nil, attentionSeconds: attentionSeconds, tileMaskSeconds: tileMaskSeconds)
            }
            matmulForward(out: buffers.residual.base, input: buffers.attention.base, tokens: t, weight: layer.attnProj,
                          bias: layer.attnProjBias, addToOutput: true, threads: threads)
            // MLP sub-block: residual += c_proj(gelu_new(c_fc(ln_2(residual)))).
            layerNormForward(out: buffers.normed.base, input: buffers.residual.base, tokens: t, channels: c,
                             weight: layer.ln2Weight, bias: layer.ln2Bias, epsilon: eps, threads: threads)
            matmulGeluForward(out: buffers.mlpHidden.base, outStride: buffers.mlpStride, input: buffers.normed.base,
                              tokens: t, weight: layer.fc, bias: layer.fcBias, threads: threads)
            matmulForward(out: buffers.residual.base, input: buffers.mlpHidden.base, inputStride: buffers.mlpStride,
                          tokens: t, weight: layer.mlpProj, bias: layer.mlpProjBias, addToOutput: true, threads: threads)
        }
        try options.checkCancellation?()
        layerNormForward(out: buffers.normed.base, input: buffers.residual.base, tokens: t, channels: c,
                         weight: lnFWeight, bias: lnFBias, epsilon: eps, threads: threads)
        hidden?.append(copy(buffers.normed, count: t * c))

        var logits: [Float]?
        if options.computeLogits {
            let v = config.vocabSize
            logits = [Float](unsafeUninitializedCapacity: t * v) { out, initialised in
                guard let base = out.baseAddress else { initialised = 0; return }
                matmulForward(out: base, input: buffers.normed.base, tokens: t, weight: lmHead, bias: nil,
                              addToOutput: false, threads: threads)
                initialised = t * v
            }
        }
        return ForwardOutput(logits: logits, hiddenStates: hidden, attentionSeconds: attentionSeconds, tileMaskSeconds: tileMaskSeconds)
    }

    private func validate(_ tokens: [Int]) throws {
        guard !tokens.isEmpty else { throw ForwardError.emptyInput }
        guard tokens.count <= config.nPositions else {
            throw ForwardError.inputTooLong(tokens: tokens.count, limit: config.nPositions)
        }
        for (i, token) in tokens.enumerated() where token < 0 || token >= config.vocabSize {
            throw ForwardError.tokenOutOfRange(index: i, token: token, vocabSize: config.vocabSize)
        }
    }

    private func copy(_ buffer: AlignedFloats, count: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: buffer.base, count: count))
    }
}

/// Write-once slots filled from parallel chunks (each index by exactly one chunk, so no two
/// threads touch the same slot; raw storage avoids Swift's exclusivity check on a shared array).
private final class PackedSlots<Value>: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Value?>
    private let count: Int
    init(count: Int) {
        self.count = count
        storage = .allocate(capacity: max(count, 1))
        storage.initialize(repeating: nil, count: max(count, 1))
    }
    func set(_ i: Int, _ value: Value) { storage[i] = value }
    var values: [Value] { (0..<count).compactMap { storage[$0] } }
    deinit {
        storage.deinitialize(count: max(count, 1))
        storage.deallocate()
    }
}
