import Kernels

/// What a forward pass computes and which hooks it calls.
///
/// Hooks run on the thread that called `GPT2Model.forward`, one layer at a time, in layer order —
/// except `attentionHeadIntervention` and `attentionHeadObserver`, which run on the pass's worker threads.
public struct ForwardOptions {
    /// False: skip the LM head matmul; `ForwardOutput.logits` is nil. With `keepHiddenStates`
    /// also false nothing after the last layer's attention is observable, so the pass stops once
    /// that attention has been through the hooks (its P·V, c_proj and MLP are not computed).
    public var computeLogits: Bool = true
    /// True: return HuggingFace's `hidden_states`: L+1 entries of (T, C) — the embeddings, the
    /// input of blocks 1…L-1 (outputs of blocks 0…L-2), and last `ln_f` applied to block L-1's output.
    public var keepHiddenStates: Bool = false
    /// Rewrites layer `l`'s probabilities (H, T, T) after softmax, before they multiply V.
    /// Entries above the diagonal (key > query) are ignored by the weighted sum.
    public var attentionIntervention: ((_ layer: Int, _ probs: UnsafeMutableBufferPointer<Float>) throws -> Void)?
    /// Rewrites one head's probabilities (T, T) of layer `l` right after its softmax, on the worker
    /// thread that computed them (while they are in cache), before `attentionIntervention` and
    /// every observer. Threading as for `attentionHeadObserver`: heads run concurrently, `worker`
    /// (in `0..<GPT2Model.threads`) is used by one call at a time. Entries above the diagonal are
    /// ignored by the weighted sum.
    public var attentionHeadIntervention: ((_ layer: Int, _ head: Int, _ worker: Int, _ probs: UnsafeMutableBufferPointer<Float>) throws -> Void)?
    /// Sees layer `l`'s probabilities (H, T, T) as they multiply V (after any intervention).
    /// The buffer is reused for the next layer: copy what must outlive the call.
    public var attentionObserver: ((_ layer: Int, _ probs: UnsafeBufferPointer<Float>) throws -> Void)?
    /// Sees one head's probabilities (T, T) of layer `l` right after its softmax, on the worker
    /// thread that computed them, while they are still in cache (an analysis that reads them here
    /// instead of in `attentionObserver` saves a trip through memory).
    ///
    /// Threading: calls for different heads run concurrently; `worker` (in `0..<GPT2Model.threads`)
    /// is used by one call at a time, so per-worker scratch is safe. Every head of layer `l` is
    /// seen before the layer's `attentionObserver` and before the probabilities multiply V; with an
    /// `attentionIntervention` the heads are seen after it (then in a second pass over the heads).
    /// The buffer is reused: copy what must outlive the call. The first error thrown stops the pass
    /// once the heads already running have finished.
    ///
    /// `rowEntropy`: with `attentionRowEntropy`, each row's entropy `−Σ p ln p` (T floats, nats)
    /// as the softmax computed it from the scores (`Softmax.causalRow`); nil without it, and when
    /// a head or layer intervention rewrote the probabilities.
    public var attentionHeadObserver: ((_ layer: Int, _ head: Int, _ worker: Int, _ probs: UnsafeBufferPointer<Float>,
                                        _ rowEntropy: UnsafeBufferPointer<Float>?) throws -> Void)?
    /// True: the softmax also computes each row's entropy, for `attentionHeadObserver` (one
    /// multiply-add per entry; no logarithm per entry).
    public var attentionRowEntropy: Bool = false
    /// Sees layer `l`'s queries and keys (H, T, D) right after its qkv projection, before any
    /// attention is computed (and before `attentionTileMasks`): what a tile estimator reads. Runs
    /// on the calling thread. The view is borrowed: copy what must outlive the call.
    public var queryKeyObserver: ((_ layer: Int, _ qk: LayerQueriesKeys) throws -> Void)?
    /// Chooses the tiles layer `l`'s attention is computed on: one `TileMask` per head (H of them,
    /// each for T tokens), or nil for the dense attention. With masks, every head of the layer runs
    /// `BlockSparseAttention` — Q·Kᵀ, softmax over each row's kept entries and P·V on kept tiles
    /// only (rows with no kept visible key attend densely); skipped tiles cost nothing and the
    /// (H, T, T) probabilities are never formed, so the probability hooks
    /// (`attentionHeadIntervention`, `attentionHeadObserver`, `attentionIntervention`,
    /// `attentionObserver`) are not called for that layer. Runs on the calling thread after
    /// `queryKeyObserver`; a wrong count or geometry throws `ForwardError.invalidTileMasks`.
    public var attentionTileMasks: ((_ layer: Int, _ qk: LayerQueriesKeys) throws -> [TileMask]?)?
    /// Called between layers; throw (e.g. CancellationError) to stop.
    public var checkCancellation: (() throws -> Void)?

    public init() {}
}
