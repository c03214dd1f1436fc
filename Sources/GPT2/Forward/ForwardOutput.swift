/// Result of `GPT2Model.forward`.
public struct ForwardOutput {
    /// Next-token logits (T, V), row-major, in nats before softmax; nil when
    /// `ForwardOptions.computeLogits` is false.
    public var logits: [Float]?
    /// L+1 × (T, C) when `ForwardOptions.keepHiddenStates` is true (HuggingFace's convention).
    public var hiddenStates: [[Float]]?

    public init(logits: [Float]?, hiddenStates: [[Float]]?) {
        self.logits = logits
        self.hiddenStates = hiddenStates
    }
}
