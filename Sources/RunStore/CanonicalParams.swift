import Foundation

/// A request's params in the canonical form that enters the cache key and is stored in
/// `run.params_json`: defaults spelled out, non-semantic fields removed, `null` treated as
/// absent, printed by `CanonicalJSON` (sorted keys, numbers by value).
public struct CanonicalParams: Equatable, Sendable {
    /// Fields that do not change a result: they never enter the cache key. `text`/`tokens` are
    /// identified by the input hash instead (so `text` and the same `tokens` share a cache entry).
    public static let nonSemanticKeys: Set<String> = ["force", "workDoneToken", "exportPath", "text", "tokens"]

    /// The canonical JSON object text.
    public let json: String

    /// Canonicalises `params` (a JSON object) over `defaults` (a JSON object of the method's
    /// default values; a field given in `params` wins).
    /// - Throws: `RunStoreError.invalidArgument` when either is not a JSON object.
    public init(_ params: Data, defaults: Data = Data("{}".utf8), excluding: Set<String> = nonSemanticKeys) throws(RunStoreError) {
        let given = try Self.object(params, field: "params")
        let fallback = try Self.object(defaults, field: "defaults")
        var merged = fallback.filter { $0.value != .null }
        for (key, value) in given where value != .null { merged[key] = value }
        for key in excluding { merged[key] = nil }
        json = CanonicalJSON.object(merged).text
    }

    /// The same from JSONSerialization-style dictionaries (`NSNumber`, `String`, arrays,
    /// dictionaries, `NSNull`).
    public init(_ params: [String: Any], defaults: [String: Any] = [:], excluding: Set<String> = nonSemanticKeys) throws(RunStoreError) {
        try self.init(Self.data(params, field: "params"), defaults: Self.data(defaults, field: "defaults"), excluding: excluding)
    }

    private static func object(_ data: Data, field: String) throws(RunStoreError) -> [String: CanonicalJSON] {
        let parsed: CanonicalJSON
        do { parsed = try CanonicalJSON.parse(data) } catch {
            throw .invalidArgument(field: field, value: String(decoding: data.prefix(200), as: UTF8.self), accepted: "a JSON object")
        }
        guard case .object(let members) = parsed else {
            throw .invalidArgument(field: field, value: String(decoding: data.prefix(200), as: UTF8.self), accepted: "a JSON object")
        }
        return members
    }

    private static func data(_ object: [String: Any], field: String) throws(RunStoreError) -> Data {
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object) else {
            throw .invalidArgument(field: field, value: "\(object)".prefix(200).description, accepted: "a dictionary of JSON values")
        }
        return data
    }
}
