import JSONRPC

/// The application's error codes (server-defined, -32099…-32000), documented in
/// Protocol/README.md §14. The JSON-RPC and LSP codes are `JSONRPC`'s.
extension RPCErrorCode {
    /// -32000: the compute queue already holds `--max-queue` waiting requests; `data: {maxQueue}`.
    public static let serverBusy = RPCErrorCode(-32000, name: "serverBusy")
    /// -32001: the method needs a model and none is loaded (`model/load` or `attnd --model`).
    public static let noModelLoaded = RPCErrorCode(-32001, name: "noModelLoaded")
    /// -32003: a model could not be loaded; `data: {path?, name?, reason}`.
    public static let modelLoadFailed = RPCErrorCode(-32003, name: "modelLoadFailed")
    /// -32004: the run history is disabled (`--no-history`) or failed; `data: {reason}`.
    public static let historyUnavailable = RPCErrorCode(-32004, name: "historyUnavailable")
    /// -32005: no stored run has this id; `data: {id}`.
    public static let runNotFound = RPCErrorCode(-32005, name: "runNotFound")
    /// -32006: writing `exportPath` failed; `data: {path, reason}`.
    public static let exportFailed = RPCErrorCode(-32006, name: "exportFailed")
    /// -32008: fetching a model by name failed; `data: {name, url?, reason}`.
    public static let downloadFailed = RPCErrorCode(-32008, name: "downloadFailed")
    /// -32009: a pass produced NaN or an infinity (the model overflows float32 on this input);
    /// `data: {quantity, layer?, point?, value}`. No number of that pass is reported.
    public static let nonFiniteResult = RPCErrorCode(-32009, name: "nonFiniteResult")

    /// Every code of the protocol, in the order of the table in Protocol/README.md §14.
    public static let attnProtocol: [RPCErrorCode] = [
        .parseError, .invalidRequest, .methodNotFound, .invalidParams, .internalError,
        .serverNotInitialized, .requestCancelled,
        .serverBusy, .noModelLoaded, .modelLoadFailed, .historyUnavailable, .runNotFound,
        .exportFailed, .messageTooLarge, .downloadFailed, .nonFiniteResult,
    ]
}
