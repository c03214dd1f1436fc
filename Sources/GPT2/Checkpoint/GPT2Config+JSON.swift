import Foundation

/// Why a `config.json` was refused. Messages name the key and what is accepted.
public enum GPT2ConfigError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not JSON.
    case notJSON(detail: String)
    /// The JSON is not an object.
    case notAnObject(found: String)
    /// A required key is absent.
    case missingKey(String)
    /// A key has the wrong JSON type.
    case wrongType(key: String, expected: String, found: String)
    /// A size that must be ≥ 1 is not.
    case notPositive(key: String, value: Int)
    /// `n_embd` is not a multiple of `n_head`.
    case embeddingNotDivisibleByHeads(nEmbd: Int, nHead: Int)
    /// A setting this implementation does not support.
    case unsupported(key: String, value: String, accepted: String)

    public var description: String {
        switch self {
        case .notJSON(let detail):
            return "config.json is not valid JSON (\(detail))"
        case .notAnObject(let found):
            return "config.json must be a JSON object, found \(found)"
        case .missingKey(let key):
            return "config.json has no '\(key)'; a GPT-2 config needs n_layer, n_head, n_embd, n_positions, vocab_size"
        case .wrongType(let key, let expected, let found):
            return "config.json: '\(key)' must be \(expected), found \(found)"
        case .notPositive(let key, let value):
            return "config.json: '\(key)' = \(value); it must be an integer ≥ 1"
        case .embeddingNotDivisibleByHeads(let nEmbd, let nHead):
            return "config.json: n_embd = \(nEmbd) is not divisible by n_head = \(nHead)"
        case .unsupported(let key, let value, let accepted):
            return "config.json: '\(key)' = \(value) is not implemented (accepted: \(accepted))"
        }
    }
}

extension GPT2Config {
    /// Reads a HuggingFace GPT-2 `config.json`: `n_layer, n_head, n_embd, n_positions`
    /// (or the older `n_ctx`), `vocab_size`, `layer_norm_epsilon` (default 1e-5),
    /// `activation_function` (default `gelu_new`), `n_inner` (null or absent → 4·n_embd).
    ///
    /// Refuses what the forward pass does not implement: another activation,
    /// `scale_attn_by_inverse_layer_idx`, `reorder_and_upcast_attn`, `scale_attn_weights: false`,
    /// `add_cross_attention`, a `model_type` other than `gpt2`.
    /// - Throws: `GPT2ConfigError` naming the key.
    public init(jsonData: Data) throws {
        let json: CheckpointJSON
        do {
            json = try CheckpointJSON.parse(jsonData)
        } catch {
            throw GPT2ConfigError.notJSON(detail: "\(error)")
        }
        guard case .object(let fields) = json else { throw GPT2ConfigError.notAnObject(found: json.kindDescription) }
        let reader = ConfigFields(fields: fields)

        if let modelType = try reader.string("model_type"), modelType != "gpt2" {
            throw GPT2ConfigError.unsupported(key: "model_type", value: "\"\(modelType.prefix(32))\(modelType.count > 32 ? "…" : "")\"", accepted: "\"gpt2\"")
        }
        let activation = try reader.string("activation_function") ?? "gelu_new"
        guard activation == "gelu_new" else {
            throw GPT2ConfigError.unsupported(key: "activation_function", value: "\"\(activation.prefix(32))\(activation.count > 32 ? "…" : "")\"", accepted: "\"gelu_new\"")
        }
        for (key, refused) in [("scale_attn_by_inverse_layer_idx", true), ("reorder_and_upcast_attn", true),
                               ("add_cross_attention", true), ("scale_attn_weights", false)] {
            if try reader.bool(key) == refused {
                throw GPT2ConfigError.unsupported(key: key, value: String(refused), accepted: String(!refused))
            }
        }

        let nLayer = try reader.positiveInt("n_layer")
        let nHead = try reader.positiveInt("n_head")
        let nEmbd = try reader.positiveInt("n_embd")
        let nPositions = try fields["n_positions"] == nil && fields["n_ctx"] != nil
            ? reader.positiveInt("n_ctx") : reader.positiveInt("n_positions")
        let vocabSize = try reader.positiveInt("vocab_size")
        guard nEmbd % nHead == 0 else { throw GPT2ConfigError.embeddingNotDivisibleByHeads(nEmbd: nEmbd, nHead: nHead) }
        let nInner = try reader.optionalPositiveInt("n_inner")
        let epsilon = try reader.number("layer_norm_epsilon") ?? 1e-5
        guard epsilon > 0, epsilon.isFinite else {
            throw GPT2ConfigError.wrongType(key: "layer_norm_epsilon", expected: "a positive finite number", found: String(epsilon))
        }

        self.init(nLayer: nLayer, nHead: nHead, nEmbd: nEmbd, nPositions: nPositions, vocabSize: vocabSize,
                  layerNormEpsilon: Float(epsilon), nInner: nInner)
    }
}

/// Typed access to config.json's fields; absent and null optional keys read as nil.
private struct ConfigFields {
    let fields: [String: CheckpointJSON]

    func string(_ key: String) throws -> String? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?: throw GPT2ConfigError.wrongType(key: key, expected: "a string", found: other.kindDescription)
        }
    }

    func bool(_ key: String) throws -> Bool? {
        switch fields[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case let other?: throw GPT2ConfigError.wrongType(key: key, expected: "true or false", found: other.kindDescription)
        }
    }

    func number(_ key: String) throws -> Double? {
        switch fields[key] {
        case nil, .null?: return nil
        case .integer(let n)?: return Double(n)
        case .number(let x)?: return x
        case let other?: throw GPT2ConfigError.wrongType(key: key, expected: "a number", found: other.kindDescription)
        }
    }

    func optionalPositiveInt(_ key: String) throws -> Int? {
        switch fields[key] {
        case nil, .null?: return nil
        case .integer(let n)?:
            guard n >= 1 else { throw GPT2ConfigError.notPositive(key: key, value: n) }
            return n
        case let other?: throw GPT2ConfigError.wrongType(key: key, expected: "an integer ≥ 1", found: other.kindDescription)
        }
    }

    func positiveInt(_ key: String) throws -> Int {
        guard let value = try optionalPositiveInt(key) else { throw GPT2ConfigError.missingKey(key) }
        return value
    }
}
