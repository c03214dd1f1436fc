/// Why an analysis refused its input. Each message names the field or tensor and says what
/// is accepted, so the daemon can pass it on as an invalid-params error.
public enum AnalysisError: Error, Equatable, CustomStringConvertible {
    /// A shape dimension (`tokens`, `heads`, `layers`) outside its accepted range.
    case invalidDimension(field: String, value: Int, accepted: String)
    /// A block size below 1.
    case invalidBlockSize(field: String, value: Int)
    /// A rule value (threshold, coverage fraction, top-k count) or epsilon out of range.
    case invalidValue(field: String, value: Double, accepted: String)
    /// An attention buffer whose element count is not `H·T·T`.
    case attentionSizeMismatch(layer: Int, expected: Int, actual: Int)
    /// A layer index outside `0..<L`, or a layer fed twice.
    case unexpectedLayer(layer: Int, layers: Int, alreadySeen: Bool)
    /// `result()` called before every layer was consumed.
    case missingLayers([Int])
    /// Two logits arrays (or logits and tokens) whose shapes disagree.
    case logitsShapeMismatch(field: String, expected: Int, actual: Int)
    /// Per-text results that cannot be combined (different points, layers or heads).
    case mismatchedTexts(field: String, reason: String)
    /// A recommendation budget that is missing or cannot apply to these results.
    case invalidBudget(field: String, reason: String)
    /// A list that must not be empty (points, texts' values).
    case emptyList(field: String)
    /// The caller's `isCancelled` said stop part-way through a layer; the accumulator's state
    /// is then incomplete and it should be discarded.
    case cancelled

    public var description: String {
        switch self {
        case let .invalidDimension(field, value, accepted):
            return "\(field) = \(value) is out of range; accepted: \(accepted)"
        case let .invalidBlockSize(field, value):
            return "\(field) = \(value) is not a block size; accepted: an integer ≥ 1 (tokens per key block)"
        case let .invalidValue(field, value, accepted):
            return "\(field) = \(value) is out of range; accepted: \(accepted)"
        case let .attentionSizeMismatch(layer, expected, actual):
            return "attention of layer \(layer) holds \(actual) floats; expected H·T·T = \(expected) (shape (H, T, T))"
        case let .unexpectedLayer(layer, layers, alreadySeen):
            return alreadySeen
                ? "attention of layer \(layer) was fed twice; feed each layer once"
                : "layer \(layer) is out of range; accepted: 0..<\(layers)"
        case let .missingLayers(missing):
            return "result requested before layers \(missing) were fed; feed every layer first"
        case let .logitsShapeMismatch(field, expected, actual):
            return "\(field) holds \(actual) values; expected \(expected)"
        case let .mismatchedTexts(field, reason):
            return "\(field): \(reason); combine texts analysed with the same settings and model"
        case let .invalidBudget(field, reason):
            return "\(field): \(reason)"
        case let .emptyList(field):
            return "\(field) is empty; give at least one value"
        case .cancelled:
            return "the analysis was cancelled"
        }
    }
}
