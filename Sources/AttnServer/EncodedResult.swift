import JSONRPC

/// A method's result already in its wire form: `MethodRegistry` sends `json` as it is instead
/// of encoding the result again. `runAnalysis` returns one, so an analysis result is encoded
/// once for its finiteness check, its history record and the response.
///
/// Encoding an `EncodedResult` with any encoder writes `json`, so it is also an ordinary
/// `Encodable` result.
struct EncodedResult: Encodable, Sendable {
    let json: JSONValue

    init(json: JSONValue) {
        self.json = json
    }

    /// `value`'s wire form (`JSONValue(encoding:)`: integers stay integers, non-finite numbers throw).
    init(encoding value: some Encodable) throws {
        json = try JSONValue(encoding: value)
    }

    func encode(to encoder: Encoder) throws {
        try json.encode(to: encoder)
    }
}
