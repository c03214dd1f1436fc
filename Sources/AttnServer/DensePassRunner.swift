import Foundation
import GPT2
import JSONRPC
import Kernels

/// Sees one head's attention `(T, T)` of layer `layer` on pass worker `worker`, with each row's
/// entropy `(T)` as the softmax computed it (see `ForwardOptions.attentionHeadObserver`: heads
/// run concurrently, one call per worker at a time). The entropies are nil only on a cache hit
/// whose pass did not keep them.
typealias DenseHeadConsumer = (_ layer: Int, _ head: Int, _ worker: Int, _ probs: UnsafeBufferPointer<Float>,
                               _ rowEntropy: UnsafeBufferPointer<Float>?) throws -> Void

/// Reports progress over a slice `[from, to]` of a request's 0…100 range.
struct ProgressSpan {
    let context: RequestContext
    let from: Double
    let to: Double

    /// `fraction` in 0…1 of this span.
    func report(_ fraction: Double, _ message: String) {
        context.report(percentage: Int((from + (to - from) * min(1, max(0, fraction))).rounded(.down)), message: message)
    }

    /// The sub-span `[a, b]` (fractions of this span).
    func slice(_ a: Double, _ b: Double) -> ProgressSpan {
        ProgressSpan(context: context, from: from + (to - from) * a, to: from + (to - from) * b)
    }
}

extension ModelSession {
    /// Streams the dense (unpruned) attention of `tokens` through `consume`, one layer
    /// `(H, T, T)` at a time, from the dense-pass cache when it holds this input, else from a
    /// forward pass (whose attention is kept in the cache when it fits the budget).
    ///
    /// - Parameters:
    ///   - needLogits: also return the logits `(T, V)` (computes the LM head).
    ///   - scansFinite: false when the caller reads no attention and checks the logits itself
    ///     (`DenseLogitsReference` does, in its row pass): the pass's attention and logits are
    ///     then not scanned for NaN/Inf, unless the pass is kept in the cache for other requests.
    ///   - consumeHead: sees every head `(T, T)` first, on the pass's worker threads
    ///     while the head is still in cache (on a cache hit: heads dealt to `model.model.threads`
    ///     threads), before `consume` sees its layer. With it, the attention's finiteness is the
    ///     consumer's to check (`FiniteGuard.check` on the head): the per-layer scan is skipped.
    /// - Returns: the logits when `needLogits`, else nil.
    /// - Important: called on the compute queue; checks cancellation between layers.
    func densePass(model: LoadedModel, tokens: [Int], needLogits: Bool, scansFinite: Bool = true, context: RequestContext,
                   progress: ProgressSpan, consumeHead: DenseHeadConsumer? = nil,
                   consume: (Int, UnsafeBufferPointer<Float>) throws -> Void) throws -> [Float]? {
        try timedDensePass(model: model, tokens: tokens, needLogits: needLogits, scansFinite: scansFinite, context: context,
                           progress: progress, consumeHead: consumeHead, consume: consume).logits
    }

    /// `densePass`, and with `queryKeys` each layer's Q and K before its attention (and before
    /// `consume` sees that attention) — from the cache when it holds this input's Q and K too
    /// (a pass stores them with its attention when both fit the budget). With `fresh`, always
    /// a forward pass, never the cache (to time it).
    ///
    /// - Returns: the logits as `densePass`, and the pass's `attentionSeconds` (nil when the
    ///   attention came from the cache).
    func timedDensePass(model: LoadedModel, tokens: [Int], needLogits: Bool, scansFinite: Bool = true, context: RequestContext,
                        progress: ProgressSpan, fresh: Bool = false,
                        queryKeys: ((Int, LayerQueriesKeys) throws -> Void)? = nil,
                        consumeHead: DenseHeadConsumer? = nil,
                        consume: (Int, UnsafeBufferPointer<Float>) throws -> Void) throws
        -> (logits: [Float]?, attentionSeconds: Double?) {
        let c = model.config
        let key = DenseCache.Key(fingerprint: model.fingerprint, tokens: tokens)
        let L = c.nLayer
        if !fresh, let hit = cache.lookup(key, needLogits: needLogits, needQueriesKeys: queryKeys != nil) {
            logger.debug("dense pass: cache hit (\(tokens.count) tokens)")
            for l in 0..<L {
                try context.checkCancelled()
                if let queryKeys, let qk = hit.queriesKeys(l, headDim: c.headDim) {
                    try context.timed("analysis") { try queryKeys(l, qk) }
                }
                let layer = hit.layer(l)
                if let consumeHead, let base = layer.baseAddress {
                    let T = tokens.count, failure = FirstError()
                    context.timed("analysis") {
                        ParallelChunks.run(chunks: c.nHead, threads: model.model.threads) { worker, head in
                            failure.run {
                                try consumeHead(l, head, worker, UnsafeBufferPointer(start: base + head * T * T, count: T * T),
                                                hit.rowEntropy(l, head: head))
                            }
                        }
                    }
                    try failure.rethrow()
                }
                try context.timed("analysis") { try consume(l, layer) }
                progress.report(Double(l + 1) / Double(L), "layer \(l + 1) of \(L) (cached pass)")
            }
            return (hit.logits, nil)
        }
        let T = tokens.count
        let perLayer = c.nHead * T * T
        let perLayerQK = T * 2 * c.nEmbd   // (T, 2C)
        let bytes = (L * perLayer + L * perLayerQK + L * c.nHead * T + (needLogits ? T * c.vocabSize : 0)) * MemoryLayout<Float>.size
        let keep: OwnedFloats? = cache.admits(bytes: bytes) ? OwnedFloats(count: L * perLayer) : nil
        let keepQK: OwnedFloats? = keep != nil ? OwnedFloats(count: L * perLayerQK) : nil
        let perLayerRows = c.nHead * T   // (H, T) row entropies
        let keepEntropies: OwnedFloats? = keep != nil ? OwnedFloats(count: L * perLayerRows) : nil
        let scan = scansFinite || keep != nil   // what the cache holds is always checked
        logger.debug("dense pass: running the forward pass (\(T) tokens, logits: \(needLogits), cached after: \(keep != nil))")
        let passStarted = DispatchTime.now().uptimeNanoseconds
        var observerSeconds = 0.0   // time spent in the observer (the analysis), inside the pass
        // Per worker: nanoseconds in `consumeHead` (each slot written by its worker only).
        let headNanoseconds = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: model.model.threads)
        headNanoseconds.initialize(repeating: 0)
        defer {
            // The head consumers ran on all workers at once: their wall share is the mean.
            let headSeconds = Double(headNanoseconds.reduce(0, +)) / 1e9 / Double(headNanoseconds.count)
            headNanoseconds.deallocate()
            let pass = Double(DispatchTime.now().uptimeNanoseconds - passStarted) / 1e9
            context.addPhase("forward", seconds: pass - observerSeconds - headSeconds)
            context.addPhase("analysis", seconds: observerSeconds + headSeconds)
        }
        let output = try withoutActuallyEscaping(consume) { consume in
            var options = ForwardOptions()
            if queryKeys != nil || keepQK != nil {
                options.queryKeyObserver = { layer, qk in
                    if let keepQK { qk.copyQueriesKeys(into: keepQK.base + layer * perLayerQK) }
                    try queryKeys?(layer, qk)
                }
            }
            options.computeLogits = needLogits
            options.checkCancellation = { try context.checkCancelled() }
            if consumeHead != nil || keepEntropies != nil {
                options.attentionRowEntropy = true
                options.attentionHeadObserver = { layer, head, worker, probs, rowEntropy in
                    if let keepEntropies, let rowEntropy, let src = rowEntropy.baseAddress {
                        (keepEntropies.base + layer * perLayerRows + head * T).update(from: src, count: T)
                    }
                    guard let consumeHead else { return }
                    let observed = DispatchTime.now().uptimeNanoseconds
                    defer { headNanoseconds[worker] &+= DispatchTime.now().uptimeNanoseconds - observed }
                    try consumeHead(layer, head, worker, probs, rowEntropy)
                }
            }
            options.attentionObserver = { layer, probs in
                let observed = DispatchTime.now().uptimeNanoseconds
                defer { observerSeconds += Double(DispatchTime.now().uptimeNanoseconds - observed) / 1e9 }
                if scan && consumeHead == nil { try FiniteGuard.check(probs, quantity: "attention", layer: layer) }
                if let keep, let src = probs.baseAddress {
                    (keep.base + layer * perLayer).update(from: src, count: perLayer)
                }
                try consume(layer, probs)
                progress.report(Double(layer + 1) / Double(L), "layer \(layer + 1) of \(L)")
            }
            return try model.model.forward(tokens: tokens, options: options)
        }
        if scan, let logits = output.logits { try FiniteGuard.check(logits, quantity: "logits") }
        if let keep {
            cache.store(key, DensePass(attention: keep, logits: output.logits, queriesKeys: keepQK, rowEntropies: keepEntropies,
                                       layers: L, heads: c.nHead, tokens: T))
        }
        return (output.logits, output.attentionSeconds)
    }
}
