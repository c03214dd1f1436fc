import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The client side: sends requests, matches responses by id, delivers notifications
/// (`$/progress`, …). Talks to a spawned `attnd --stdio` or a listening Unix socket.
///
/// Threading: every method may be called from any thread. Callbacks (`onNotification`,
/// completions, `onUnmatchedResponse`) run on the connection's reader thread: keep them short.
public final class RPCClient: @unchecked Sendable {
    public enum Failure: Error, CustomStringConvertible {
        /// The peer closed the stream before answering.
        case connectionClosed(method: String)
        /// No answer within the timeout, in seconds.
        case timedOut(method: String, seconds: Double)
        /// The daemon could not be started.
        case spawnFailed(executable: String, reason: String)

        public var description: String {
            switch self {
            case .connectionClosed(let method): return "the daemon closed the connection before answering \(method)"
            case .timedOut(let method, let seconds): return "no answer to \(method) within \(seconds) s"
            case .spawnFailed(let executable, let reason): return "could not start \(executable): \(reason)"
            }
        }
    }

    public let connection: Connection
    /// The spawned daemon, when this client started one.
    public let process: Process?

    private let lock = NSLock()
    private var nextID: Int64 = 1
    private var pending: [RequestID: (method: String, completion: (Result<JSONValue, RPCError>) -> Void)] = [:]
    private var ended = false
    private let onNotification: (RPCNotification) -> Void
    private let onUnmatchedResponse: (RPCResponse) -> Void

    /// Starts reading `connection` at once.
    /// - Parameters:
    ///   - onNotification: server notifications such as `$/progress`, in arrival order.
    ///   - onUnmatchedResponse: responses whose id matches no pending request (e.g. `id: null`
    ///     errors for malformed frames).
    public init(connection: Connection, process: Process? = nil,
                onNotification: @escaping (RPCNotification) -> Void = { _ in },
                onUnmatchedResponse: @escaping (RPCResponse) -> Void = { _ in }) {
        self.connection = connection
        self.process = process
        self.onNotification = onNotification
        self.onUnmatchedResponse = onUnmatchedResponse
        connection.start(onEvent: { [weak self] event in self?.handle(event) },
                         onEnd: { [weak self] in self?.failAllPending() })
    }

    /// Spawns `executable` (e.g. `attnd`) with `arguments` (default `--stdio`) and talks to it
    /// over its stdin/stdout. The daemon's stderr goes to `stderr` (inherited when nil).
    public static func spawn(executable: URL, arguments: [String] = ["--stdio"], environment: [String: String]? = nil,
                             stderr: FileHandle? = nil,
                             onNotification: @escaping (RPCNotification) -> Void = { _ in },
                             onUnmatchedResponse: @escaping (RPCResponse) -> Void = { _ in }) throws -> RPCClient {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let toChild = Pipe()
        let fromChild = Pipe()
        process.standardInput = toChild
        process.standardOutput = fromChild
        if let stderr { process.standardError = stderr }
        do {
            try process.run()
        } catch {
            throw Failure.spawnFailed(executable: executable.path, reason: "\(error)")
        }
        let readFD = fcntl(fromChild.fileHandleForReading.fileDescriptor, F_DUPFD_CLOEXEC, 0)
        let writeFD = fcntl(toChild.fileHandleForWriting.fileDescriptor, F_DUPFD_CLOEXEC, 0)
        for handle in [toChild.fileHandleForReading, toChild.fileHandleForWriting,
                       fromChild.fileHandleForReading, fromChild.fileHandleForWriting] {
            try? handle.close()
        }
        guard readFD >= 0, writeFD >= 0 else {
            process.terminate()
            throw Failure.spawnFailed(executable: executable.path, reason: "dup failed: errno \(errno)")
        }
        let connection = Connection(readFD: readFD, writeFD: writeFD, label: "attnd pid \(process.processIdentifier)")
        return RPCClient(connection: connection, process: process,
                         onNotification: onNotification, onUnmatchedResponse: onUnmatchedResponse)
    }

    /// Connects to a daemon listening on a Unix socket, after checking that its folder and socket
    /// are ours alone and that the daemon runs as our user (`SocketFolder`).
    /// - Throws: `SocketFolder.Failure` for someone else's folder, socket or daemon;
    ///   `UnixSocket.Failure` when the connect fails.
    public static func connect(socketPath: String,
                               onNotification: @escaping (RPCNotification) -> Void = { _ in },
                               onUnmatchedResponse: @escaping (RPCResponse) -> Void = { _ in }) throws -> RPCClient {
        try SocketFolder.verifyBeforeConnecting(socketPath: socketPath)
        let fd = try UnixSocket.connect(path: socketPath)
        do {
            try SocketFolder.verifyPeer(of: fd, socketPath: socketPath)
        } catch {
            SystemCall.close(fd)
            throw error
        }
        return RPCClient(connection: Connection(readFD: fd, writeFD: fd, label: socketPath),
                         onNotification: onNotification, onUnmatchedResponse: onUnmatchedResponse)
    }

    /// A fresh integer id (ids count up from 1 per client).
    public func makeID() -> RequestID {
        lock.lock()
        defer { lock.unlock() }
        let id = nextID
        nextID += 1
        return .int(id)
    }

    /// Sends a request; `completion` runs once with the result or the error (a transport
    /// failure is reported as -32603 with the reason). Returns the id, for `cancel`.
    @discardableResult
    public func send(_ method: String, params: JSONValue? = nil, id: RequestID? = nil,
                     completion: @escaping (Result<JSONValue, RPCError>) -> Void) -> RequestID {
        let id = id ?? makeID()
        lock.lock()
        if ended {
            lock.unlock()
            completion(.failure(RPCError(.internalError, Failure.connectionClosed(method: method).description)))
            return id
        }
        pending[id] = (method, completion)
        lock.unlock()
        if !connection.send(.request(RPCRequest(id: id, method: method, params: params))) {
            if let entry = removePending(id) {
                entry.completion(.failure(RPCError(.internalError, Failure.connectionClosed(method: method).description)))
            }
        }
        return id
    }

    /// Sends a request and waits for its answer.
    /// - Throws: `RPCError` (the server's error) or `RPCClient.Failure` (closed, timed out).
    public func request(_ method: String, params: JSONValue? = nil, timeout: TimeInterval = 60) throws -> JSONValue {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        let id = send(method, params: params) { result in
            box.result = result
            done.signal()
        }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            _ = removePending(id)
            throw Failure.timedOut(method: method, seconds: timeout)
        }
        switch box.result {
        case .success(let value)?: return value
        case .failure(let error)?:
            if error.code == .internalError, error.message == Failure.connectionClosed(method: method).description {
                throw Failure.connectionClosed(method: method)
            }
            throw error
        case nil: throw Failure.connectionClosed(method: method)
        }
    }

    public func notify(_ method: String, params: JSONValue? = nil) {
        connection.send(.notification(RPCNotification(method: method, params: params)))
    }

    /// Sends `$/cancelRequest` for `id`; the request is still answered (with -32800 when cancelled in time).
    public func cancel(_ id: RequestID) {
        notify("$/cancelRequest", params: ["id": id.jsonValue])
    }

    /// Sends a raw body (already JSON, or deliberately not) in one frame. For tests and tools.
    @discardableResult
    public func sendRaw(body: Data) -> Bool {
        connection.send(body: body)
    }

    /// Registers a completion for a request sent by other means (e.g. inside a batch via `sendRaw`).
    public func expectResponse(id: RequestID, method: String, completion: @escaping (Result<JSONValue, RPCError>) -> Void) {
        lock.lock()
        pending[id] = (method, completion)
        lock.unlock()
    }

    /// Closes the connection. Pending requests fail with `connectionClosed`.
    public func close() {
        connection.close()
    }

    /// Waits for a spawned daemon to exit; returns its exit status, or nil on timeout / no process.
    public func waitForExit(timeout: TimeInterval) -> Int32? {
        guard let process else { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() >= deadline { return nil }
            usleep(5_000)
        }
        return process.terminationStatus
    }

    private func removePending(_ id: RequestID) -> (method: String, completion: (Result<JSONValue, RPCError>) -> Void)? {
        lock.lock()
        defer { lock.unlock() }
        return pending.removeValue(forKey: id)
    }

    private func handle(_ event: FramerEvent) {
        guard case .message(let body) = event, let payload = try? RPCPayload.decode(body) else { return }
        switch payload {
        case .single(let message): handle(message)
        case .batch(let messages): messages.forEach(handle)
        }
    }

    private func handle(_ message: RPCMessage) {
        switch message {
        case .notification(let notification):
            onNotification(notification)
        case .response(let response):
            if let id = response.id, let entry = removePending(id) {
                entry.completion(response.outcome)
            } else {
                onUnmatchedResponse(response)
            }
        case .request, .invalid:
            break  // the daemon sends no requests
        }
    }

    private func failAllPending() {
        lock.lock()
        ended = true
        let failing = pending
        pending.removeAll()
        lock.unlock()
        for (_, entry) in failing {
            entry.completion(.failure(RPCError(.internalError, Failure.connectionClosed(method: entry.method).description)))
        }
    }
}

private final class ResultBox: @unchecked Sendable {
    var result: Result<JSONValue, RPCError>?
}
