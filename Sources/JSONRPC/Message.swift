import Foundation

/// A request id: an integer or a string (JSON-RPC 2.0 also allows null, which this protocol
/// reserves for error responses to messages whose id could not be read).
public enum RequestID: Hashable, Sendable, CustomStringConvertible {
    case int(Int64)
    case string(String)

    public init?(json: JSONValue) {
        switch json {
        case .int(let number): self = .int(number)
        case .string(let text): self = .string(text)
        default: return nil
        }
    }

    public var jsonValue: JSONValue {
        switch self {
        case .int(let number): return .int(number)
        case .string(let text): return .string(text)
        }
    }

    public var description: String {
        switch self {
        case .int(let number): return "\(number)"
        case .string(let text): return text.debugDescription
        }
    }
}

public struct RPCRequest: Equatable, Sendable {
    public var id: RequestID
    public var method: String
    /// `nil` when the message had no `params` member.
    public var params: JSONValue?

    public init(id: RequestID, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }
}

public struct RPCNotification: Equatable, Sendable {
    public var method: String
    public var params: JSONValue?

    public init(method: String, params: JSONValue? = nil) {
        self.method = method
        self.params = params
    }
}

public struct RPCResponse: Equatable, Sendable {
    /// `nil` is sent as `"id": null` (the request's id could not be read).
    public var id: RequestID?
    public var outcome: Result<JSONValue, RPCError>

    public init(id: RequestID?, outcome: Result<JSONValue, RPCError>) {
        self.id = id
        self.outcome = outcome
    }

    public init(id: RequestID?, result: JSONValue) { self.init(id: id, outcome: .success(result)) }
    public init(id: RequestID?, error: RPCError) { self.init(id: id, outcome: .failure(error)) }
}

/// One JSON-RPC 2.0 message, as read from or written to the wire.
public enum RPCMessage: Equatable, Sendable {
    case request(RPCRequest)
    case notification(RPCNotification)
    case response(RPCResponse)
    /// Not a valid message: answered with -32600 (with `id` when it could be read).
    case invalid(id: RequestID?, reason: String)

    /// Classifies one JSON value (one element of a batch, or a whole non-batch body).
    public init(json: JSONValue) {
        guard let members = json.objectValue else {
            self = .invalid(id: nil, reason: "a message must be a JSON object, not \(json.typeDescription)")
            return
        }
        var id: RequestID?
        if let rawID = members["id"], rawID != .null {
            guard let readable = RequestID(json: rawID) else {
                self = .invalid(id: nil, reason: "`id` must be an integer or a string")
                return
            }
            id = readable
        }
        guard members["jsonrpc"] == .string("2.0") else {
            self = .invalid(id: id, reason: "`jsonrpc` must be \"2.0\"")
            return
        }
        if let rawMethod = members["method"] {
            guard let method = rawMethod.stringValue else {
                self = .invalid(id: id, reason: "`method` must be a string")
                return
            }
            let params = members["params"]
            if let params, params.objectValue == nil, params.arrayValue == nil {
                self = .invalid(id: id, reason: "`params` must be an object or an array")
                return
            }
            if members["id"] == nil {
                self = .notification(RPCNotification(method: method, params: params))
            } else if let id {
                self = .request(RPCRequest(id: id, method: method, params: params))
            } else {
                self = .invalid(id: nil, reason: "a request's `id` must not be null")
            }
            return
        }
        if let result = members["result"], members["error"] == nil {
            self = .response(RPCResponse(id: id, result: result))
        } else if let rawError = members["error"], members["result"] == nil, let error = RPCError(json: rawError) {
            self = .response(RPCResponse(id: id, error: error))
        } else {
            self = .invalid(id: id, reason: "a message needs `method` (request) or exactly one of `result`/`error` (response)")
        }
    }

    /// The wire form, with `"jsonrpc": "2.0"`.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["jsonrpc": "2.0"]
        switch self {
        case .request(let request):
            members["id"] = request.id.jsonValue
            members["method"] = .string(request.method)
            if let params = request.params { members["params"] = params }
        case .notification(let notification):
            members["method"] = .string(notification.method)
            if let params = notification.params { members["params"] = params }
        case .response(let response):
            members["id"] = response.id?.jsonValue ?? .null
            switch response.outcome {
            case .success(let result): members["result"] = result
            case .failure(let error): members["error"] = error.jsonValue
            }
        case .invalid(let id, let reason):
            members["id"] = id?.jsonValue ?? .null
            members["error"] = RPCError(.invalidRequest, reason).jsonValue
        }
        return .object(members)
    }
}

/// A decoded message body: one message or a batch (JSON array) of them.
public enum RPCPayload: Equatable, Sendable {
    case single(RPCMessage)
    /// A non-empty batch; an empty array is `.single(.invalid)` per JSON-RPC 2.0.
    case batch([RPCMessage])

    /// Parses a framed body. A body that is not JSON throws -32700 (`parseError`).
    public static func decode(_ body: Data) throws -> RPCPayload {
        let json: JSONValue
        do {
            json = try JSONParser.parse(body)
        } catch let error as JSONParseError {
            throw RPCError(.parseError, "parse error: \(error.description)")
        }
        if let elements = json.arrayValue {
            if elements.isEmpty { return .single(.invalid(id: nil, reason: "an empty batch is not a request")) }
            return .batch(elements.map(RPCMessage.init(json:)))
        }
        return .single(RPCMessage(json: json))
    }
}
