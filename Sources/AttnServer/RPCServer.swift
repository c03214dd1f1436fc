import AttnProtocol
import Foundation
import JSONRPC
import Logging

/// The daemon's protocol core: one method registry, one compute queue and one session gate
/// shared by every connection; per connection an LSP lifecycle (`ClientSession`).
///
/// Threading: each connection reads on its own thread and answers `.immediate` requests
/// there; `.compute`/`.exclusive` requests run on the single compute thread, in arrival
/// order across all clients (a model load included: it builds the new model on the compute
/// thread and swaps it in at the end, so immediate requests keep being answered on the old one).
public final class RPCServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    public let registry: MethodRegistry
    public let logger: Logger
    let queue: ComputeQueue

    private let lock = NSLock()
    private var sessions: [Int: ClientSession] = [:]
    private var nextClientID = 1

    public init(configuration: ServerConfiguration, registry: MethodRegistry, logger: Logger = Logger(label: "attnd")) {
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
        self.queue = ComputeQueue(capacity: configuration.maxQueue)
    }

    /// Serves one client on `connection` (starting its reader thread) and returns at once.
    ///
    /// - Parameter onExit: called once, on the reader thread, when the client sends `exit`
    ///   (code 0 after `shutdown`, else 1) or its input ends (same codes). By then the
    ///   client's queued and running work is cancelled and the connection is closed. The
    ///   stdio transport exits the process with the code; the socket transport does nothing.
    /// - Returns: the client's number (for logs), counting from 1.
    @discardableResult
    public func serve(_ connection: Connection, onExit: @escaping (Int32) -> Void = { _ in }) -> Int {
        lock.lock()
        let clientID = nextClientID
        nextClientID += 1
        var sessionLogger = logger
        sessionLogger[metadataKey: "client"] = "\(clientID)"
        let session = ClientSession(id: clientID, connection: connection, server: self, logger: sessionLogger) { [weak self] code in
            self?.sessionEnded(clientID)
            onExit(code)
        }
        sessions[clientID] = session
        lock.unlock()
        logger.debug("client \(clientID) connected (\(connection.label))")
        session.start()
        return clientID
    }

    /// Clients currently connected.
    public var clientCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return sessions.count
    }

    /// Clients connected other than `clientID`.
    func clientCount(except clientID: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return sessions.keys.filter { $0 != clientID }.count
    }

    /// Sends `notification` to every connected client but `clientID` (queued per client: never blocks).
    func broadcast(_ notification: RPCNotification, except clientID: Int) {
        lock.lock()
        let others = sessions.filter { $0.key != clientID }.map(\.value)
        lock.unlock()
        for session in others { session.connection.send(.notification(notification)) }
    }

    /// Compute requests waiting behind the running one.
    public var queuedRequestCount: Int { queue.waitingCount }

    /// Ends every session (their work is cancelled) and stops the compute thread.
    public func stop() {
        lock.lock()
        let open = Array(sessions.values)
        lock.unlock()
        for session in open { session.end(code: 1) }
        queue.stop()
    }

    private func sessionEnded(_ clientID: Int) {
        lock.lock()
        sessions[clientID] = nil
        lock.unlock()
        logger.debug("client \(clientID) disconnected")
    }

    /// The standard `initialize` result: serverInfo, protocolVersion, capabilities (`methods`:
    /// the request methods, the registry's plus `initialize` and `shutdown`; `history`: whether
    /// runs are stored, as configured (the session's extension corrects it when the database
    /// could not be opened); `limits`: the size limits a client can plan with).
    func initializeResultBase() -> [String: JSONValue] {
        let methods = Set(registry.methodNames).union(["initialize", "shutdown"]).sorted()
        return [
            "serverInfo": ["name": .string(ServerConfiguration.serverName), "version": .string(configuration.serverVersion)],
            "protocolVersion": .string(ServerConfiguration.protocolVersion),
            "capabilities": [
                "methods": .array(methods.map { .string($0) }),
                "history": .bool(configuration.historyEnabled),
                "limits": [
                    "maxMessageBytes": .int(Int64(configuration.maxMessageBytes)),
                    "maxQueue": .int(Int64(configuration.maxQueue)),
                    "maxListLength": .int(Int64(ProtocolLimits.maxListLength)),
                    "maxAttentionEntries": .int(Int64(ProtocolLimits.maxInlineEntries)),
                    "maxSweepPoints": .int(Int64(ProtocolLimits.maxSweepPoints)),
                    "maxEndToEndPasses": .int(Int64(ProtocolLimits.maxEndToEndPasses)),
                    "maxOutputQueueBytes": .int(Int64(configuration.maxOutputQueueBytes)),
                ],
            ],
        ]
    }
}
