import AttnProtocol
import Foundation
import JSONRPC

/// Translates the Model Context Protocol (JSON-RPC 2.0, one message per line) into the
/// daemon's own protocol, spoken to a session of the real server over `inner` (an in-process
/// connection to `RPCServer.serve`): the methods run exactly as they do for an LSP client,
/// through the same registry, compute queue, cancellation and progress.
///
/// - MCP `initialize` → daemon `initialize` (with the MCP `clientInfo.name`, recorded with runs)
///   then `initialized`; the answer negotiates `protocolVersion` (the client's when supported,
///   else the newest supported) and offers `tools`.
/// - `tools/list` → the `MCPToolCatalog` listing; `tools/call` → the tool's method with the
///   `arguments` as params; the result comes back as `structuredContent` plus a text summary,
///   an error of the method as a result with `isError: true` (its message names the field).
/// - `_meta.progressToken` → `workDoneToken`; `$/progress` → `notifications/progress`
///   (`progress` = percentage, `total` 100, strictly increasing: a report that would not raise
///   it is dropped).
/// - `notifications/cancelled` → `$/cancelRequest`; the cancelled request gets no response, as
///   MCP asks.
///
/// Threading: `receive` is called on one thread (the transport's reader); inner responses and
/// notifications arrive on the inner connection's reader thread; `write` is called from both,
/// one whole message at a time, under the bridge's lock.
public final class MCPBridge: @unchecked Sendable {
    /// Handshake revisions this server speaks, oldest first. Structured tool output exists
    /// from 2025-06-18 on; older clients ignore the extra member.
    public static let supportedProtocolVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]

    private let catalog: MCPToolCatalog
    private var client: RPCClient!
    private let write: (Data) -> Void

    private let lock = NSLock()
    private let writeLock = NSLock()
    private var state: State = .waiting
    /// True from an `initialize` until its answer and the lines held meanwhile are handled.
    private var holding = false
    private var held: [Data] = []
    /// MCP request id → the daemon request id of a running `tools/call`, and whether MCP cancelled it.
    private var calls: [RequestID: (inner: RequestID, cancelled: Bool)] = [:]
    /// Progress token (as JSON text) → the last `progress` sent for it.
    private var lastProgress: [String: Double] = [:]

    private enum State { case waiting, initializing, ready }

    /// - Parameters:
    ///   - inner: a connection to a daemon session (not yet started); the bridge reads it.
    ///   - write: sends one MCP message (a JSON body without the newline).
    public init(inner: Connection, write: @escaping (Data) -> Void) throws {
        catalog = try MCPToolCatalog()
        self.write = write
        client = RPCClient(connection: inner, onNotification: { [weak self] notification in
            self?.forward(notification)
        })
    }

    /// At end of input: waits until every request already received is answered (an
    /// `initialize` and the lines held behind it, every running `tools/call`), then ends the
    /// daemon session (`shutdown`, waiting up to `timeout` seconds, then `exit`).
    public func close(timeout: TimeInterval = 5) {
        while lock.withLock({ holding || state == .initializing || !calls.isEmpty }) { usleep(5_000) }
        _ = try? client.request("shutdown", timeout: timeout)
        client.notify("exit")
    }

    // MARK: Incoming MCP messages

    /// Handles one line read from the MCP client. Lines that arrive while `initialize` is
    /// being answered are held and handled, in order, once it is.
    public func receive(line: Data) {
        lock.lock()
        if holding {
            held.append(line)
            lock.unlock()
            return
        }
        lock.unlock()
        process(line)
    }

    /// Handles the held lines in order, then stops holding (new lines may arrive meanwhile).
    private func releaseHeld() {
        while true {
            lock.lock()
            guard !held.isEmpty else {
                holding = false
                lock.unlock()
                return
            }
            let line = held.removeFirst()
            lock.unlock()
            process(line)
        }
    }

    private func process(_ line: Data) {
        let json: JSONValue
        do {
            json = try JSONParser.parse(line)
        } catch {
            send(.response(RPCResponse(id: nil, error: RPCError(.parseError, "parse error: \(error)"))))
            return
        }
        if json.arrayValue != nil {
            send(.response(RPCResponse(id: nil, error: RPCError(.invalidRequest,
                "invalid request: JSON-RPC batches are not part of MCP; send one message per line"))))
            return
        }
        switch RPCMessage(json: json) {
        case .request(let request): handle(request)
        case .notification(let notification): handle(notification)
        case .response: break  // this server sends no requests
        case .invalid(let id, let reason):
            send(.response(RPCResponse(id: id, error: RPCError(.invalidRequest, "invalid request: \(reason)"))))
        }
    }

    /// Reports a line over the size limit (skipped unread past the limit).
    public func receiveTooLong(limitBytes: Int) {
        send(.response(RPCResponse(id: nil, error: RPCError(.messageTooLarge,
            "message over the limit of \(limitBytes) bytes (--max-message-bytes); it was skipped",
            data: ["limitBytes": .int(Int64(limitBytes))]))))
    }

    private func handle(_ notification: RPCNotification) {
        switch notification.method {
        case "notifications/cancelled":
            guard let raw = notification.params?["requestId"], let id = RequestID(json: raw) else { return }
            lock.lock()
            let call = calls[id]
            if call != nil { calls[id]?.cancelled = true }
            lock.unlock()
            if let call { client.cancel(call.inner) }
        default:
            break  // notifications/initialized and anything else: nothing to do
        }
    }

    private func handle(_ request: RPCRequest) {
        switch request.method {
        case "ping":
            answer(request.id, .success(.object([:])))
        case "initialize":
            initialize(request)
        default:
            guard lock.withLock({ state }) == .ready else {
                if ["tools/list", "tools/call"].contains(request.method) {
                    answer(request.id, .failure(RPCError(.serverNotInitialized,
                        "server not initialized: send initialize first and wait for its result")))
                } else {
                    answer(request.id, .failure(methodNotFound(request.method)))
                }
                return
            }
            switch request.method {
            case "tools/list": answer(request.id, .success(["tools": .array(catalog.listing)]))
            case "tools/call": call(request)
            default: answer(request.id, .failure(methodNotFound(request.method)))
            }
        }
    }

    private func methodNotFound(_ method: String) -> RPCError {
        RPCError(.methodNotFound, "method not found: \(method) (this server offers ping, initialize, tools/list and tools/call)")
    }

    private func initialize(_ request: RPCRequest) {
        lock.lock()
        let previous = state
        if previous == .waiting { state = .initializing }
        lock.unlock()
        guard previous == .waiting else {
            answer(request.id, .failure(RPCError(.invalidRequest, "initialize was already received on this connection")))
            return
        }
        guard let requested = request.params?["protocolVersion"]?.stringValue else {
            lock.withLock { state = .waiting }
            answer(request.id, .failure(RPCError.invalidParams(field: "protocolVersion", value: request.params?["protocolVersion"],
                                                               accepted: "a protocol revision string such as \"2025-11-25\"")))
            return
        }
        let versions = MCPBridge.supportedProtocolVersions
        let negotiated = versions.contains(requested) ? requested : versions[versions.count - 1]
        var clientInfo: [String: JSONValue] = ["name": "mcp"]
        if let name = request.params?["clientInfo"]?["name"]?.stringValue { clientInfo["name"] = .string(name) }
        if let version = request.params?["clientInfo"]?["version"]?.stringValue { clientInfo["version"] = .string(version) }
        lock.withLock { holding = true }
        client.send("initialize", params: ["clientInfo": .object(clientInfo)]) { [self] outcome in
            switch outcome {
            case .success(let inner):
                client.notify("initialized")
                lock.withLock { state = .ready }
                answer(request.id, .success(MCPBridge.initializeResult(inner: inner, protocolVersion: negotiated)))
            case .failure(let error):
                lock.withLock { state = .waiting }
                answer(request.id, .failure(error))
            }
            releaseHeld()
        }
    }

    /// The MCP `initialize` result, from the daemon's own `initialize` result.
    static func initializeResult(inner: JSONValue, protocolVersion: String) -> JSONValue {
        let version = inner["serverInfo"]?["version"] ?? "unknown"
        var instructions = "GPT-2 attention analyses (SelectAttention). Start with model_info; profileAttention and pruneSweep take `text`; every run is stored and can be read back with runs_list / runs_get. Metrics are defined in Protocol/README.md §11."
        if let model = inner["model"], let name = model["name"]?.stringValue {
            instructions += " Loaded model: \(name)."
        } else {
            instructions += " No model is loaded yet: call model_load first."
        }
        return [
            "protocolVersion": .string(protocolVersion),
            "capabilities": ["tools": ["listChanged": false]],
            "serverInfo": ["name": .string(ServerName.value), "title": "SelectAttention daemon", "version": version],
            "instructions": .string(instructions),
        ]
    }

    private enum ServerName { static let value = "attnd" }

    private func call(_ request: RPCRequest) {
        guard let name = request.params?["name"]?.stringValue else {
            answer(request.id, .failure(RPCError.invalidParams(field: "name", value: request.params?["name"], accepted: "a tool name from tools/list")))
            return
        }
        guard let tool = catalog.byName[name] else {
            answer(request.id, .failure(RPCError.invalidParams(field: "name", value: .string(name),
                accepted: "one of \(MCPToolCatalog.tools.map(\.name).joined(separator: ", "))", message: "unknown tool: \(name)")))
            return
        }
        let rawArguments = request.params?["arguments"]
        guard var arguments = rawArguments == nil || rawArguments == .null ? [:] : rawArguments?.objectValue else {
            answer(request.id, .failure(RPCError.invalidParams(field: "arguments", value: rawArguments, accepted: "an object")))
            return
        }
        if arguments["workDoneToken"] != nil {
            let error = RPCError.invalidParams(field: "workDoneToken", value: arguments["workDoneToken"],
                accepted: "nothing: give `_meta.progressToken` for progress", message: "invalid params: `workDoneToken` is not a tool argument; give `_meta.progressToken` for progress")
            answer(request.id, .success(MCPBridge.toolError(method: tool.method, error)))
            return
        }
        let token = request.params?["_meta"]?["progressToken"]
        if let token, RequestID(json: token) != nil { arguments["workDoneToken"] = token }

        let innerID = client.makeID()
        lock.withLock { calls[request.id] = (innerID, false) }
        client.send(tool.method, params: .object(arguments), id: innerID) { [self] outcome in
            lock.lock()
            let cancelled = calls.removeValue(forKey: request.id)?.cancelled ?? false
            if let token { lastProgress[JSONWriter.string(token)] = nil }
            lock.unlock()
            if cancelled { return }  // MCP: a cancelled request is not answered
            switch outcome {
            case .success(let result): answer(request.id, .success(MCPBridge.toolResult(method: tool.method, result)))
            case .failure(let error): answer(request.id, .success(MCPBridge.toolError(method: tool.method, error)))
            }
        }
    }

    /// `{content: [text summary], structuredContent: result, isError: false}`; a result that is
    /// not an object is wrapped as `{"result": …}` (structured content must be an object).
    static func toolResult(method: String, _ result: JSONValue) -> JSONValue {
        let structured: JSONValue = result.objectValue != nil ? result : ["result": result]
        return [
            "content": [["type": "text", "text": .string(MCPResultSummary.text(method: method, result: result))]],
            "structuredContent": structured,
            "isError": false,
        ]
    }

    /// An error of the method as a tool result an agent can read and correct.
    static func toolError(method: String, _ error: RPCError) -> JSONValue {
        let named = RPCError(RPCErrorCode(rawValue: error.code.rawValue, known: RPCErrorCode.attnProtocol), error.message, data: error.data)
        return [
            "content": [["type": "text", "text": .string(MCPResultSummary.text(method: method, error: named))]],
            "isError": true,
        ]
    }

    // MARK: Outgoing

    private func forward(_ notification: RPCNotification) {
        guard notification.method == "$/progress", let token = notification.params?["token"],
              let value = notification.params?["value"] else { return }
        let progress: Double?
        switch value["kind"]?.stringValue {
        case "begin": progress = value["percentage"]?.doubleValue ?? 0
        case "end": progress = 100
        default: progress = value["percentage"]?.doubleValue
        }
        guard let progress else { return }
        let key = JSONWriter.string(token)
        lock.lock()
        let last = lastProgress[key]
        let raises = last.map { progress > $0 } ?? true
        if raises { lastProgress[key] = progress }
        lock.unlock()
        guard raises else { return }
        var params: [String: JSONValue] = ["progressToken": token, "progress": .double(progress), "total": 100]
        if let message = value["message"]?.stringValue ?? value["title"]?.stringValue { params["message"] = .string(message) }
        send(.notification(RPCNotification(method: "notifications/progress", params: .object(params))))
    }

    private func answer(_ id: RequestID, _ outcome: Result<JSONValue, RPCError>) {
        send(.response(RPCResponse(id: id, outcome: outcome)))
    }

    private func send(_ message: RPCMessage) {
        let body = JSONWriter.data(message.jsonValue)
        writeLock.lock()
        write(body)
        writeLock.unlock()
    }
}
