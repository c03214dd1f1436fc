import Foundation

/// A parsed JSON value (safetensors header, config.json) that keeps integers apart from other
/// numbers, so a field such as a shape dimension can be checked to be an integer and not
/// `1.5`, `true` or `1e30`.
enum CheckpointJSON: Decodable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([CheckpointJSON])
    case object([String: CheckpointJSON])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([CheckpointJSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: CheckpointJSON].self)) }
    }

    /// Parses `data` as one JSON value.
    /// - Throws: the decoder's error when `data` is not JSON.
    static func parse(_ data: Data) throws -> CheckpointJSON {
        try JSONDecoder().decode(CheckpointJSON.self, from: data)
    }

    /// A word for the kind of value, for error messages ("an array", "a string").
    var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer: return "an integer"
        case .number: return "a non-integer number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
