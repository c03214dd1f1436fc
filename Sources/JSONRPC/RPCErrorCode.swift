/// Every error code the daemon sends, in one place (the table in Protocol/README.md mirrors it).
///
/// Standard JSON-RPC codes, LSP's -32002 and -32800, and server-defined codes in
/// -32099…-32000. `.unknown` only carries a code received from a peer that this list does
/// not name; the server never sends it.
public enum RPCErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// -32700: the body is not valid JSON, or a frame header is malformed (answered with `id: null`).
    case parseError
    /// -32600: the JSON is not a valid request object, an empty batch, or a request after `shutdown`.
    case invalidRequest
    /// -32601: no method with this name.
    case methodNotFound
    /// -32602: a parameter is missing, of the wrong type, out of range or unknown;
    /// `data` is `{field, value, accepted}`.
    case invalidParams
    /// -32603: an unexpected failure inside the server; the message says what failed.
    case internalError
    /// -32002 (LSP): a request arrived before `initialize` completed.
    case serverNotInitialized
    /// -32800 (LSP): the request was cancelled by `$/cancelRequest` (or its client vanished).
    case requestCancelled
    /// -32000: the compute queue is full (`--max-queue`); retry later.
    case serverBusy
    /// -32001: the method needs a model and none is loaded (`model/load` or `--model`).
    case noModelLoaded
    /// -32003: a model folder could not be found or read; the message names the file.
    case modelLoadFailed
    /// -32004: the run history database is disabled (`--no-history`) or unreadable.
    case historyUnavailable
    /// -32005: no stored run has this id.
    case runNotFound
    /// -32006: writing an export file failed (path refused or I/O error).
    case exportFailed
    /// -32007: a message body is over `--max-message-bytes`; it was skipped unread.
    case messageTooLarge
    /// -32008: fetching a model by name failed.
    case downloadFailed
    /// -32009: a pass produced NaN or an infinity (the model overflows float32 on this input);
    /// `data` is `{quantity, layer?, value}`. No number of that pass is reported.
    case nonFiniteResult
    /// A code this enum does not name (received from a peer).
    case unknown(Int)

    /// The documented codes, in table order.
    public static let documented: [RPCErrorCode] = [
        .parseError, .invalidRequest, .methodNotFound, .invalidParams, .internalError,
        .serverNotInitialized, .requestCancelled,
        .serverBusy, .noModelLoaded, .modelLoadFailed, .historyUnavailable, .runNotFound,
        .exportFailed, .messageTooLarge, .downloadFailed, .nonFiniteResult,
    ]

    public var rawValue: Int {
        switch self {
        case .parseError: return -32700
        case .invalidRequest: return -32600
        case .methodNotFound: return -32601
        case .invalidParams: return -32602
        case .internalError: return -32603
        case .serverNotInitialized: return -32002
        case .requestCancelled: return -32800
        case .serverBusy: return -32000
        case .noModelLoaded: return -32001
        case .modelLoadFailed: return -32003
        case .historyUnavailable: return -32004
        case .runNotFound: return -32005
        case .exportFailed: return -32006
        case .messageTooLarge: return -32007
        case .downloadFailed: return -32008
        case .nonFiniteResult: return -32009
        case .unknown(let code): return code
        }
    }

    public init(rawValue: Int) {
        self = RPCErrorCode.documented.first { $0.rawValue == rawValue } ?? .unknown(rawValue)
    }

    public var description: String {
        switch self {
        case .unknown(let code): return "\(code)"
        default: return "\(rawValue) (\(name))"
        }
    }

    /// The lowerCamelCase name used in Protocol/README.md.
    public var name: String {
        switch self {
        case .parseError: return "parseError"
        case .invalidRequest: return "invalidRequest"
        case .methodNotFound: return "methodNotFound"
        case .invalidParams: return "invalidParams"
        case .internalError: return "internalError"
        case .serverNotInitialized: return "serverNotInitialized"
        case .requestCancelled: return "requestCancelled"
        case .serverBusy: return "serverBusy"
        case .noModelLoaded: return "noModelLoaded"
        case .modelLoadFailed: return "modelLoadFailed"
        case .historyUnavailable: return "historyUnavailable"
        case .runNotFound: return "runNotFound"
        case .exportFailed: return "exportFailed"
        case .messageTooLarge: return "messageTooLarge"
        case .downloadFailed: return "downloadFailed"
        case .nonFiniteResult: return "nonFiniteResult"
        case .unknown: return "unknown"
        }
    }
}
