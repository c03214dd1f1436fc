/// Result of `GPT2Model.forward`.
public struct ForwardOutput {
    /// Next-token logits (T, V), row-major, in nats before softmax; nil when
    /// `ForwardOptions.computeLogits` is false.
    public var logits: [Float]?
    /// L+1 × (T, C) when `ForwardOptions.keepHiddenStates` is true (HuggingFace's convention).
    public var hiddenStates: [[Float]]?
    /// Wall time of the attention kernels (Q·Kᵀ, softmax, P·V — dense or block-sparse) summed
    /// over layers, seconds. Hooks called between the kernels (`queryKeyObserver`,
    /// `attentionTileMasks`, `attentionIntervention`, `attentionObserver`) are not counted; the
    /// per-head hooks, which run inside the kernels' loop, are.
    public var attentionSeconds: Double
    /// Time spent in `ForwardOptions.attentionTileMasks` choosing the masks (e.g. an estimator),
    /// summed over layers, seconds; not part of `attentionSeconds`.
    public var tileMaskSeconds: Double

    public init(logits: [Float]?, hiddenStates: [[Float]]?, attentionSeconds: Double = 0, tileMaskSeconds: Double = 0) {
        self.logits = logits
        self.hiddenStates = hiddenStates
        self.attentionSeconds = attentionSeconds
        self.tileMaskSeconds = tileMaskSeconds
    }
}
