import AttnProtocol
import Foundation
import JSONRPC
import Logging

/// One client connection: its LSP lifecycle, its in-flight compute requests, its responses.
///
/// Lifecycle: requests before `initialize` succeeds get -32002; a second `initialize` gets
/// -32600; after `shutdown` every request gets -32600; `exit` (or end of input) ends the
/// session with code 0 after `shutdown`, else 1. Notifications are never answered; unknown
/// ones are ignored.
///
/// Threading: messages are handled on the connection's reader thread; compute jobs complete
/// on the compute thread. Shared state is guarded by `lock`.
final class ClientSession: @unchecked Sendable {
    enum LifecycleState { case uninitialized, initializing, initialized, shutDown, exited }

    let id: Int
    let connection: Connection
    let logger: Logger
    private unowned let server: RPCServer
    private let onExit: (Int32) -> Void

    private let lock = NSLock()
    private var state: LifecycleState = .uninitialized
    /// `clientInfo.name` from `initialize`; recorded with runs.
    private var clientName: String?
    /// Queued and running compute jobs by request id; a client may reuse an id, so each id
    /// keeps every job that carries it (a cancel or a disconnect reaches all of them).
    private var inFlight: [RequestID: [ComputeJob]] = [:]

    init(id: Int, connection: Connection, server: RPCServer, logger: Logger, onExit: @escaping (Int32) -> Void) {
        self.id = id
        self.connection = connection
        self.server = server
        self.logger = logger
        self.onExit = onExit
    }

    func start() {
        connection.start(onEvent: { [self] event in handle(event) },
                         onEnd: { [self] in end(code: lifecycleState == .shutDown ? 0 : 1) })
    }

    private var lifecycleState: LifecycleState {
        lock.lock()
        defer { lock.unlock() }
        return state
    }

    /// Ends the session once: cancels its work, closes the connection, reports the exit code.
    func end(code: Int32) {
        lock.lock()
        guard state != .exited else { lock.unlock(); return }
        state = .exited
        let jobs = inFlight.values.flatMap { $0 }
        inFlight.removeAll()
        lock.unlock()
        server.queue.cancel(jobs)
        connection.close()
        if connection.outputOverflowed {
            logger.warning("disconnected the client: it left more than \(connection.outputQueueLimit ?? 0) bytes of responses unread (--max-output-queue-bytes); cancelled \(jobs.count) request(s)")
        }
        logger.debug("session ended with exit code \(code); cancelled \(jobs.count) request(s)")
        onExit(code)
    }

    // MARK: Framing and decoding

    private func handle(_ event: FramerEvent) {
        guard lifecycleState != .exited else { return }
        switch event {
        case .message(let body):
            handle(body: body)
        case .malformedHeader(let reason):
            logger.warning("malformed frame header: \(reason)")
            send(error: RPCError(.parseError, "malformed frame header: \(reason); skipped to the next Content-Length header"))
        case .messageTooLarge(let declared, let limit):
            logger.warning("refused a message of \(declared) bytes (limit \(limit))")
            send(error: RPCError(.messageTooLarge,
                                 "message of \(declared) bytes is over the limit of \(limit) bytes (--max-message-bytes); it was skipped unread",
                                 data: ["declaredBytes": .int(Int64(declared)), "limitBytes": .int(Int64(limit))]))
        }
    }

    private func send(error: RPCError) {
        connection.send(.response(RPCResponse(id: nil, error: error)))
    }

    private func handle(body: Data) {
        let payload: RPCPayload
        do {
            payload = try RPCPayload.decode(body)
        } catch {
            send(error: error as? RPCError ?? RPCError(.parseError, "parse error: \(error)"))
            return
        }
        switch payload {
        case .single(let message):
            let limit = server.configuration.maxMessageBytes
            dispatch(message) { [connection] id in Responder(id: id, maxResponseBytes: limit) { connection.send(body: $0) } }
        case .batch(let messages):
            let collector = BatchCollector(maxResponseBytes: server.configuration.maxMessageBytes) { [connection] in
                connection.send(body: $0)
            }
            for message in messages { dispatch(message, makeResponder: collector.makeResponder) }
            collector.seal()
        }
    }

    private func dispatch(_ message: RPCMessage, makeResponder: (RequestID?) -> Responder) {
        switch message {
        case .request(let request):
            handle(request, responder: makeResponder(request.id))
        case .notification(let notification):
            handle(notification)
        case .response(let response):
            logger.debug("ignored a response from the client (id \(response.id?.description ?? "null"))")
        case .invalid(let id, let reason):
            makeResponder(id).answer(error: RPCError(.invalidRequest, "invalid request: \(reason)"))
        }
    }

    // MARK: Notifications

    private func handle(_ notification: RPCNotification) {
        switch notification.method {
        case "exit":
            end(code: lifecycleState == .shutDown ? 0 : 1)
        case "$/cancelRequest":
            guard let rawID = notification.params?["id"], let target = RequestID(json: rawID) else {
                logger.debug("ignored $/cancelRequest without a readable id")
                return
            }
            lock.lock()
            let jobs = inFlight[target] ?? []
            lock.unlock()
            server.queue.cancel(jobs)
        default:
            break  // `initialized` and unknown notifications: nothing to do
        }
    }

    // MARK: Requests

    private func handle(_ request: RPCRequest, responder: Responder) {
        logger.debug("request \(request.method) id \(request.id)")
        switch request.method {
        case "initialize":
            initialize(request, responder: responder)
        case "shutdown":
            lock.lock()
            let previous = state
            if previous == .initialized { state = .shutDown }
            lock.unlock()
            switch previous {
            case .initialized: responder.answer(.success(.null))
            default: responder.answer(error: lifecycleError(previous))
            }
        default:
            let current = lifecycleState
            guard current == .initialized else {
                responder.answer(error: lifecycleError(current))
                return
            }
            guard let entry = server.registry.entry(request.method) else {
                responder.answer(error: RPCError(.methodNotFound, "method not found: \(request.method)"))
                return
            }
            do {
                let (reader, token) = try splitParams(request.params)
                let call = try entry.prepare(reader)
                execute(request, kind: entry.kind, workDoneToken: token, call: call, responder: responder)
            } catch {
                responder.answer(error: ClientSession.rpcError(error, method: request.method))
            }
        }
    }

    private func lifecycleError(_ state: LifecycleState) -> RPCError {
        switch state {
        case .uninitialized, .initializing:
            return RPCError(.serverNotInitialized, "server not initialized: send initialize first and wait for its result")
        case .initialized:
            return RPCError(.invalidRequest, "initialize was already received on this connection")
        case .shutDown, .exited:
            return RPCError(.invalidRequest, "the server is shutting down: only the exit notification is accepted after shutdown")
        }
    }

    /// Separates the LSP `workDoneToken` (an integer or a string) from the method's own params.
    private func splitParams(_ params: JSONValue?) throws -> (ParamReader, JSONValue?) {
        guard var members = params?.objectValue else { return (try ParamReader(params), nil) }
        let token = members.removeValue(forKey: "workDoneToken")
        if let token, token != .null, RequestID(json: token) == nil {
            throw RPCError.invalidParams(field: "workDoneToken", value: token, accepted: "an integer or a string")
        }
        return (try ParamReader(.object(members)), token == .null ? nil : token)
    }

    private func initialize(_ request: RPCRequest, responder: Responder) {
        lock.lock()
        let previous = state
        if previous == .uninitialized { state = .initializing }
        lock.unlock()
        guard previous == .uninitialized else {
            responder.answer(error: previous == .initializing || previous == .initialized
                ? RPCError(.invalidRequest, "initialize was already received on this connection") : lifecycleError(previous))
            return
        }
        do {
            let (reader, token) = try splitParams(request.params)
            let params = try InitializeParams(reading: reader)
            try reader.finish()
            lock.withLock { clientName = params.clientInfo?.name }
            let hook = try server.registry.initializeHook()?.prepare(params)
            let base = server.initializeResultBase()
            let call: PreparedCall = { context in
                var result = base
                if let hook {
                    // Objects merge one level deep, so the hook can refine `capabilities`.
                    for (key, value) in try hook.call(context) {
                        if case .object(let base)? = result[key], case .object(let extra) = value {
                            result[key] = .object(base.merging(extra) { $1 })
                        } else {
                            result[key] = value
                        }
                    }
                }
                return .object(result)
            }
            execute(request, kind: hook?.kind ?? .immediate, workDoneToken: token, call: call, responder: responder) { [self] outcome in
                lock.lock()
                if state == .initializing {
                    if case .success = outcome { state = .initialized } else { state = .uninitialized }
                }
                lock.unlock()
                return outcome
            }
        } catch {
            lock.lock()
            if state == .initializing { state = .uninitialized }
            lock.unlock()
            responder.answer(error: ClientSession.rpcError(error, method: request.method))
        }
    }

    // MARK: Running handlers

    /// Runs `call` where `kind` says and answers through `responder`; `finish` may adjust the
    /// outcome (and update state) just before the answer is sent.
    private func execute(_ request: RPCRequest, kind: MethodKind, workDoneToken: JSONValue?, call: @escaping PreparedCall,
                         responder: Responder,
                         finish: @escaping (Result<JSONValue, RPCError>) -> Result<JSONValue, RPCError> = { $0 }) {
        let context = RequestContext(method: request.method, requestID: request.id, clientID: id,
                                     workDoneToken: workDoneToken, logger: logger) { [connection] notification in
            connection.send(.notification(notification))
        }
        context.clientName = lock.withLock { clientName }
        let clientID = id
        context.otherClientCount = { [weak server] in server?.clientCount(except: clientID) ?? 0 }
        context.notifyOtherClients = { [weak server] in server?.broadcast($0, except: clientID) }
        if kind == .immediate {
            let outcome = ClientSession.invoke(call, context)
            responder.answer(finish(outcome))
            return
        }
        let cancelled = RequestContext.cancellationError(method: request.method, id: request.id)
        var jobReference: ComputeJob?
        let job = ComputeJob(context: context, run: { [self] in
            defer { if let job = jobReference { forget(job) } }
            if context.isCancelled {
                responder.answer(finish(.failure(cancelled)))
                return
            }
            context.beginProgress()
            let started = DispatchTime.now().uptimeNanoseconds
            let outcome = ClientSession.invoke(call, context)
            context.endProgress()
            context.timed("send") { _ = responder.answer(finish(outcome)) }
            let total = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            // One line per compute request: where its time went (Benchmarks/daemon_bench.py reads it).
            logger.debug("timings \(request.method) id=\(request.id) \(context.phaseSummary) total=\(String(format: "%.4f", total))")
        }, cancelledWhileQueued: { [self] in
            if let job = jobReference { forget(job) }
            responder.answer(finish(.failure(cancelled)))
        })
        jobReference = job
        lock.lock()
        let open = state != .exited
        if open { inFlight[request.id, default: []].append(job) }
        lock.unlock()
        guard open else { return }
        guard server.queue.enqueue(job) else {
            forget(job)
            jobReference = nil
            let limit = server.queue.capacity
            responder.answer(finish(.failure(RPCError(.serverBusy,
                "server busy: the compute queue is full (\(limit) requests waiting; see --max-queue); retry later",
                data: ["maxQueue": .int(Int64(limit))]))))
            return
        }
    }

    private func forget(_ job: ComputeJob) {
        lock.lock()
        let id = job.context.requestID
        if var jobs = inFlight[id], let index = jobs.firstIndex(where: { $0 === job }) {
            jobs.remove(at: index)
            inFlight[id] = jobs.isEmpty ? nil : jobs
        }
        lock.unlock()
    }

    private static func invoke(_ call: PreparedCall, _ context: RequestContext) -> Result<JSONValue, RPCError> {
        do {
            return .success(try call(context))
        } catch {
            if error is CancellationError || (context.isCancelled && (error as? RPCError)?.code == .requestCancelled) {
                return .failure(RequestContext.cancellationError(method: context.method, id: context.requestID))
            }
            return .failure(rpcError(error, method: context.method))
        }
    }

    /// Any thrown error as a wire error: `RPCError` as is, `RPCErrorConvertible` converted,
    /// anything else -32603 naming the method and the error.
    static func rpcError(_ error: Error, method: String) -> RPCError {
        if let error = error as? RPCError { return error }
        if let convertible = error as? RPCErrorConvertible { return convertible.rpcError }
        if error is CancellationError { return RPCError(.requestCancelled, "\(method) was cancelled") }
        return RPCError(.internalError, "internal error in \(method): \(error)")
    }
}
