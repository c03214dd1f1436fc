/// A JSON-RPC error code: its number and the lowerCamelCase name the spec uses.
///
/// This module names the codes of JSON-RPC 2.0, LSP's -32002 and -32800, and -32007
/// (`messageTooLarge`, sent by the framer). An application adds its own server-defined codes
/// (-32099…-32000) as static members in an extension (`AttnProtocol` does); codes compare by
/// number, so a code received from a peer equals the named one.
public struct RPCErrorCode: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    /// The lowerCamelCase name of Protocol/README.md §14, or "unknown" for a number no module named.
    public let name: String

    /// Names a code (for application extensions).
    public init(_ rawValue: Int, name: String) {
        self.rawValue = rawValue
        self.name = name
    }

    /// A code received as a number: named when it is one of `known`, else "unknown".
    public init(rawValue: Int, known: [RPCErrorCode] = RPCErrorCode.standard) {
        self = known.first { $0.rawValue == rawValue } ?? RPCErrorCode(rawValue, name: "unknown")
    }

    public static func == (a: RPCErrorCode, b: RPCErrorCode) -> Bool { a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    public var description: String { "\(rawValue) (\(name))" }

    /// -32700: the body is not valid JSON, or a frame header is malformed (answered with `id: null`).
    public static let parseError = RPCErrorCode(-32700, name: "parseError")
    /// -32600: the JSON is not a valid request object, an empty batch, or a request after `shutdown`.
    public static let invalidRequest = RPCErrorCode(-32600, name: "invalidRequest")
    /// -32601: no method with this name.
    public static let methodNotFound = RPCErrorCode(-32601, name: "methodNotFound")
    /// -32602: a parameter is missing, of the wrong type, out of range or unknown;
    /// `data` is `{field, value, accepted}`.
    public static let invalidParams = RPCErrorCode(-32602, name: "invalidParams")
    /// -32603: an unexpected failure inside the server; the message says what failed.
    public static let internalError = RPCErrorCode(-32603, name: "internalError")
    /// -32002 (LSP): a request arrived before `initialize` completed.
    public static let serverNotInitialized = RPCErrorCode(-32002, name: "serverNotInitialized")
    /// -32800 (LSP): the request was cancelled by `$/cancelRequest` (or its client vanished).
    public static let requestCancelled = RPCErrorCode(-32800, name: "requestCancelled")
    /// -32007: a message body is over the framer's limit; it was skipped unread.
    public static let messageTooLarge = RPCErrorCode(-32007, name: "messageTooLarge")

    /// The codes this module names, in the spec's table order.
    public static let standard: [RPCErrorCode] = [
        .parseError, .invalidRequest, .methodNotFound, .invalidParams, .internalError,
        .serverNotInitialized, .requestCancelled, .messageTooLarge,
    ]
}
