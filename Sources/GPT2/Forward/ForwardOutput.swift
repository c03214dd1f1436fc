/// Result of `GPT2Model.forward`.
public struct ForwardOutput {
    /// Next-token logits (T, V), row-major, in nats before softmax; nil when
    /// `ForwardOptions.computeLogits` is false.
    public var logits: [Float]?
    /// L+1 × (T, C) when `ForwardOptions.keepHiddenStates` is true (HuggingFace's convention).
    public var hiddenStates: [[Float]]?
    /// Wall-clock seconds of the attention step, summed over layers: from the layer's Q, K, V to
    /// its heads' outputs (T, C), the hooks that run inside it included (`queryKeyObserver`,
    /// `attentionTileMasks`, the probability hooks). Compare a block-sparse pass with a dense one
    /// run without hooks.
    public var attentionSeconds: Double
    /// The part of `attentionSeconds` spent in `ForwardOptions.attentionTileMasks` (choosing the
    /// masks, e.g. an estimator), seconds.
    public var tileMaskSeconds: Double

    public init(logits: [Float]?, hiddenStates: [[Float]]?, attentionSeconds: Double = 0, tileMaskSeconds: Double = 0) {
        self.logits = logits
        self.hiddenStates = hiddenStates
        self.attentionSeconds = attentionSeconds
        self.tileMaskSeconds = tileMaskSeconds
    }
}
