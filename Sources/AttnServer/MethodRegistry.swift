import AttnProtocol
import Foundation
import JSONRPC

/// Where a method's handler runs.
public enum MethodKind: Sendable, Equatable {
    /// Answered at once on the connection's reader thread, even while compute work runs
    /// (`tokenize`, `model/info`, `runs/*`). Must be quick and must not block on I/O that a
    /// client controls; may run concurrently with a `.compute` handler (including a model
    /// load), so it reads shared state through its own locks.
    case immediate
    /// Queued on the one shared compute queue and run in arrival order; cancellable while
    /// queued or running; a full queue answers -32000 (serverBusy). `model/load` is one: it
    /// builds the new model here and swaps it in atomically when done.
    case compute
}

/// An error type that knows its wire form; handlers may throw these instead of `RPCError`.
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}

/// A method ready to run: params already read and validated.
typealias PreparedCall = (RequestContext) throws -> JSONValue

/// Method name → params reader and handler.
///
/// Threading: register everything before the server starts serving; lookups happen on
/// connection threads afterwards (guarded by a lock, so late registration is safe but racy
/// for clients that already called `initialize`).
public final class MethodRegistry: @unchecked Sendable {
    struct Entry {
        let kind: MethodKind
        /// Runs on the connection thread: reads params (then `finish()`), returns the call.
        let prepare: (ParamReader) throws -> PreparedCall
    }

    struct InitializeExtension {
        let prepare: (InitializeParams) throws -> (kind: MethodKind, call: (RequestContext) throws -> [String: JSONValue])
    }

    /// Names handled by the framework itself; registering them has no effect.
    public static let lifecycleMethods: Set<String> = ["initialize", "initialized", "shutdown", "exit", "$/cancelRequest"]

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var initializeExtension: InitializeExtension?

    public init() {}

    /// Registers `method`.
    ///
    /// - Parameters:
    ///   - parse: reads and validates the params on the connection thread, before the request
    ///     is queued, so bad params are answered at once. Use the `ParamReader` getters; the
    ///     framework calls `finish()` afterwards (unknown fields → -32602). `workDoneToken` is
    ///     removed before `parse` sees the params.
    ///   - handle: does the work (on the compute queue for `.compute`/`.exclusive`, on the
    ///     connection thread for `.immediate`). Throw `RPCError` (or an `RPCErrorConvertible`)
    ///     for protocol errors; any other error becomes -32603 with its description.
    public func register<Params, Result: Encodable>(_ method: String, kind: MethodKind,
                                                    parse: @escaping (ParamReader) throws -> Params,
                                                    handle: @escaping (Params, RequestContext) throws -> Result) {
        guard !MethodRegistry.lifecycleMethods.contains(method) else { return }
        let entry = Entry(kind: kind) { reader in
            let params = try parse(reader)
            try reader.finish()
            return { context in
                let result = try handle(params, context)
                // An analysis result was encoded once already (`EncodedResult`): sent as it is.
                if let encoded = result as? EncodedResult { return encoded.json }
                return try context.timed("encode") { try JSONValue(encoding: result) }
            }
        }
        lock.withLock { entries[method] = entry }
    }

    /// Registers `method` with a typed params value read by `Params.init(reading:)` (unknown
    /// fields refused), answered with a typed result.
    public func register<Params: MethodParams, Result: Encodable>(_ method: String, kind: MethodKind, params: Params.Type,
                                                                  handle: @escaping (Params, RequestContext) throws -> Result) {
        register(method, kind: kind, parse: { try Params(reading: $0) }, handle: handle)
    }

    /// Registers a method that takes no params (any field given is refused with -32602).
    public func register<Result: Encodable>(_ method: String, kind: MethodKind,
                                            handle: @escaping (RequestContext) throws -> Result) {
        register(method, kind: kind, parse: { _ in () }, handle: { _, context in try handle(context) })
    }

    /// Adds fields to the `initialize` request and result (e.g. `model` in, `model` info out).
    ///
    /// - Parameters:
    ///   - parse: picks what it needs from the typed `initialize` params (read and validated
    ///     by the framework, `InitializeParams`).
    ///   - kind: where to run `handle` for these params: `.immediate` when nothing is loaded,
    ///     `.compute` when `initialize` loads a model.
    ///   - handle: returns extra result members, merged into the standard result.
    public func extendInitialize<Params>(parse: @escaping (InitializeParams) throws -> Params,
                                         kind: @escaping (Params) -> MethodKind,
                                         handle: @escaping (Params, RequestContext) throws -> [String: JSONValue]) {
        let initializeExtension = InitializeExtension { initialize in
            let params = try parse(initialize)
            return (kind(params), { context in try handle(params, context) })
        }
        lock.withLock { self.initializeExtension = initializeExtension }
    }

    /// Registered method names, sorted (the `capabilities.methods` of `initialize`, with the
    /// lifecycle requests added by the server).
    public var methodNames: [String] {
        lock.withLock { entries.keys.sorted() }
    }

    func entry(_ method: String) -> Entry? {
        lock.withLock { entries[method] }
    }

    func initializeHook() -> InitializeExtension? {
        lock.withLock { initializeExtension }
    }
}
