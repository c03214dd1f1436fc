/// A JSON-RPC error object: thrown by handlers, sent as `{"code", "message", "data"?}`.
public struct RPCError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: RPCErrorCode
    public var message: String
    public var data: JSONValue?

    public init(_ code: RPCErrorCode, _ message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(code): \(message)" }

    /// -32602 with the contract's `data`: `{"field", "value", "accepted"}`.
    ///
    /// - Parameters:
    ///   - field: the parameter path, e.g. `thresholds[2]` or `model.path`.
    ///   - value: the offending value as received, or `nil` when it was missing (sent as null).
    ///   - accepted: what would be accepted, e.g. `a number in (0, 1]`.
    ///   - message: a sentence for humans; built from the three parts when omitted.
    public static func invalidParams(field: String, value: JSONValue?, accepted: String, message: String? = nil) -> RPCError {
        let shown: String
        if let value {
            let text = JSONWriter.string(value)
            shown = text.count > 80 ? String(text.prefix(80)) + "…" : text
        } else {
            shown = "missing"
        }
        let sentence = message ?? "invalid params: `\(field)` is \(shown); accepted: \(accepted)"
        return RPCError(.invalidParams, sentence, data: [
            "field": .string(field),
            "value": value ?? .null,
            "accepted": .string(accepted),
        ])
    }

    /// The wire form `{"code", "message", "data"?}`.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["code": .int(Int64(code.rawValue)), "message": .string(message)]
        if let data { members["data"] = data }
        return .object(members)
    }

    /// Reads an error object received from a peer; `nil` when it is not one.
    public init?(json: JSONValue) {
        guard let code = json["code"]?.intValue, let message = json["message"]?.stringValue else { return nil }
        self.init(RPCErrorCode(rawValue: code), message, data: json["data"])
    }
}
