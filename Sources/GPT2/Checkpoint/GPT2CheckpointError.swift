/// Why a GPT-2 checkpoint folder could not be loaded. Safetensors-level problems (a corrupt
/// file) are thrown as `SafetensorsError`; these are the GPT-2-level ones.
public enum GPT2CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The folder does not exist or is not a directory.
    case notADirectory(path: String)
    /// A required file is absent from the folder.
    case missingFile(name: String, directory: String)
    /// config.json was refused; `reason` names the key.
    case invalidConfig(path: String, reason: GPT2ConfigError)
    /// An expected tensor is absent. `key` is the canonical name (no `transformer.` prefix).
    case missingTensor(key: String, file: String, configHint: String)
    /// A tensor's shape is not the one config.json implies.
    case wrongShape(key: String, expected: [Int], actual: [Int], file: String)
    /// The same tensor is stored with and without the `transformer.` prefix.
    case duplicateTensor(key: String, names: [String], file: String)
    /// Tensors that are not part of a GPT-2 model (other than the known attention buffers).
    case unexpectedTensors(names: [String], file: String)
    /// A weight is NaN or infinite. `index` is the element's position in the tensor's shape,
    /// `value` is `NaN`, `+Inf` or `-Inf`.
    case nonFiniteWeight(key: String, index: [Int], value: String, file: String)

    public var description: String {
        switch self {
        case .notADirectory(let path):
            return "\(path): no such folder; a model folder holds config.json and model.safetensors"
        case .missingFile(let name, let directory):
            return "\(name) is missing from \(directory); a GPT-2 model folder needs config.json and model.safetensors (download both from the HuggingFace model page)"
        case .invalidConfig(let path, let reason):
            return "\(path): \(reason)"
        case .missingTensor(let key, let file, let configHint):
            return "\(file): no tensor '\(key)' (also tried 'transformer.\(key)'); \(configHint) — does config.json belong to this checkpoint?"
        case .wrongShape(let key, let expected, let actual, let file):
            var text = "\(file): tensor '\(key)' has shape \(actual), but config.json implies \(expected)"
            if actual == expected.reversed() && expected.count == 2 {
                text += " (stored transposed: GPT-2's Conv1D weights are [in, out], not Linear's [out, in])"
            } else {
                text += " — does config.json belong to this checkpoint?"
            }
            return text
        case .duplicateTensor(let key, let names, let file):
            return "\(file): tensor '\(key)' is stored twice (\(names.joined(separator: ", "))); keep one"
        case .unexpectedTensors(let names, let file):
            let shown = names.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
            let more = names.count > 8 ? " and \(names.count - 8) more" : ""
            return "\(file): tensors that are not part of a GPT-2 model: \(shown)\(more) — a different architecture, or more layers than config.json's n_layer?"
        case .nonFiniteWeight(let key, let index, let value, let file):
            return "\(file): tensor '\(key)' holds \(value) at \(index); every weight must be a finite number "
                + "(a corrupt file, or one saved after training diverged: re-download or re-export it)"
        }
    }
}
