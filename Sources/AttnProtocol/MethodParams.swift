import JSONRPC

/// A method's params as one typed value: read strictly from a request, written canonically.
///
/// `init(reading:)` reads every stored property through `ParamReader` (the field's JSON path,
/// its default and its accepted range in one line each), so Swift's definite initialisation
/// makes forgetting a field a compile error. `Decodable` goes through the same reader (unknown
/// fields refused, -32602 with `{field, value, accepted}`); `Encodable` is synthesised from
/// the stored properties, so the canonical form — every field, defaults filled in — is derived
/// from the type, never listed by hand.
public protocol MethodParams: Codable, Sendable {
    /// Reads and validates the params; throws `RPCError.invalidParams`.
    init(reading r: ParamReader) throws
}

extension MethodParams {
    /// Reads `params` (nil, `null` and `{}` alike) and refuses fields the type does not have.
    public static func decode(_ params: JSONValue?) throws -> Self {
        let reader = try ParamReader(params)
        let value = try Self(reading: reader)
        try reader.finish()
        return value
    }

    public init(from decoder: Decoder) throws {
        self = try Self.decode(JSONValue(from: decoder))
    }

    /// Every field with its defaults filled in, as a JSON object.
    public var encoded: JSONValue {
        get throws { try JSONValue(encoding: self) }
    }

    /// The params that identify a result (the cache key, §8): `encoded` without
    /// `CanonicalForm.nonSemanticFields`.
    public var canonical: JSONValue {
        get throws {
            var members = try encoded.objectValue ?? [:]
            for field in CanonicalForm.nonSemanticFields { members[field] = nil }
            return .object(members)
        }
    }
}

/// What the canonical params of §8 leave out, for every method.
public enum CanonicalForm {
    /// Fields that never change a result: `text`/`tokens` (the input is compared by its token
    /// ids), `force`, `workDoneToken`, and where to write a copy of the attention
    /// (`exportPath`, `overwrite`, `exportMask`); `evaluateCorpus.path` (its corpus is compared by
    /// token ids) and `evaluateCorpus.computedWindows` (windows computed elsewhere: the same
    /// evaluation, stored under the key a single daemon's run has). Every other field of a
    /// params type is in the cache key.
    public static let nonSemanticFields: Set<String> = ["text", "tokens", "path", "force", "workDoneToken", "exportPath", "overwrite",
                                                        "exportMask", "computedWindows"]
}

/// A method without params (`model/info`, `shutdown`): any field given is refused.
public struct NoParams: MethodParams, Equatable {
    public init() {}
    public init(reading r: ParamReader) throws {}
}
