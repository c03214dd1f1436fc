/// Input a forward pass refuses.
public enum ForwardError: Error, Equatable, CustomStringConvertible {
    /// No tokens: the model needs at least one.
    case emptyInput
    /// More tokens than the model's context (`n_positions`).
    case inputTooLong(tokens: Int, limit: Int)
    /// `tokens[index]` is not a valid id.
    case tokenOutOfRange(index: Int, token: Int, vocabSize: Int)
    /// `ForwardOptions.attentionTileMasks` returned masks that do not fit layer `layer`.
    case invalidTileMasks(layer: Int, reason: String)

    public var description: String {
        switch self {
        case .emptyInput:
            return "tokens is empty: a forward pass needs at least 1 token"
        case let .inputTooLong(tokens, limit):
            return "tokens has \(tokens) tokens but the model accepts at most \(limit) (n_positions); shorten the input"
        case let .tokenOutOfRange(index, token, vocabSize):
            return "tokens[\(index)] = \(token) is not a token id: accepted 0…\(vocabSize - 1) (vocab_size \(vocabSize))"
        case let .invalidTileMasks(layer, reason):
            return "attentionTileMasks of layer \(layer): \(reason)"
        }
    }
}
