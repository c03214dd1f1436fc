import AttnServer
import AttnProtocol
import Foundation
import JSONRPC
import XCTest

/// Test-only methods registered from the test target, and what they observed.
final class Probes: @unchecked Sendable {
    private let lock = NSLock()
    private var startedIDs: [RequestID] = []
    private var cancelledIDs: [RequestID] = []
    private var log: [String] = []
    let started = DispatchSemaphore(value: 0)

    func noteStarted(_ id: RequestID) {
        lock.lock(); startedIDs.append(id); lock.unlock()
        started.signal()
    }
    func noteCancelled(_ id: RequestID) { lock.lock(); cancelledIDs.append(id); lock.unlock() }
    func note(_ entry: String) { lock.lock(); log.append(entry); lock.unlock() }
    var cancelled: [RequestID] { lock.lock(); defer { lock.unlock() }; return cancelledIDs }
    var entries: [String] { lock.lock(); defer { lock.unlock() }; return log }
    var startedCount: Int { lock.lock(); defer { lock.unlock() }; return startedIDs.count }
}

struct Boom: Error, CustomStringConvertible {
    var description: String { "boom: the handler failed" }
}

struct TypedFailure: RPCErrorConvertible {
    var rpcError: RPCError { RPCError(.runNotFound, "no run with id r-1") }
}

/// A server with test methods, plus clients connected over in-process pipes.
final class ServerHarness {
    let server: RPCServer
    let probes = Probes()

    init(maxQueue: Int = 4, maxMessageBytes: Int = ServerConfiguration.defaultMaxMessageBytes,
         maxOutputQueueBytes: Int = ServerConfiguration.defaultMaxOutputQueueBytes) {
        let registry = MethodRegistry()
        let probes = self.probes
        registry.register("test/echo", kind: .immediate, parse: { reader in reader.raw("value") ?? .null }) { value, _ in
            probes.note("echo")
            return ["value": value] as JSONValue
        }
        // Sleeps `ms` milliseconds, checking cancellation every 10 ms; reports progress `steps` times.
        registry.register("test/sleep", kind: .compute, parse: { reader in
            (try reader.int("ms", default: 100, range: 0...60_000), try reader.int("steps", default: 0, range: 0...100))
        }) { (params: (ms: Int, steps: Int), context: RequestContext) -> JSONValue in
            probes.noteStarted(context.requestID)
            let start = Date()
            var reported = 0
            do {
                while Date().timeIntervalSince(start) * 1000 < Double(params.ms) {
                    try context.checkCancelled()
                    usleep(10_000)
                    let due = params.steps * Int(Date().timeIntervalSince(start) * 1000) / max(1, params.ms)
                    while reported < min(due, params.steps) {
                        reported += 1
                        context.report(percentage: 100 * reported / params.steps, message: "step \(reported)")
                    }
                }
            } catch {
                probes.noteCancelled(context.requestID)
                throw error
            }
            while reported < params.steps {
                reported += 1
                context.report(percentage: 100 * reported / params.steps, message: "step \(reported)")
            }
            probes.note("sleep end")
            return ["slept": .int(Int64(params.ms))]
        }
        registry.register("test/fail", kind: .compute) { (_: RequestContext) -> JSONValue in throw Boom() }
        registry.register("test/typed", kind: .immediate) { (_: RequestContext) -> JSONValue in throw TypedFailure() }
        // Answers a string of `bytes` bytes (for the output-queue and response-size tests).
        registry.register("test/blob", kind: .compute, parse: { try $0.int("bytes", default: 1000, range: 0...100_000_000) }) { bytes, _ in
            JSONValue.string(String(repeating: "x", count: bytes))
        }
        registry.register("test/params", kind: .immediate, parse: { reader -> JSONValue in
            let source = try reader.oneOf(["text", "tokens"])
            let thresholds = try reader.doubleArray("thresholds", default: [0.05], count: 1...64, element: .openClosed(0, 1))
            return ["source": .string(source), "thresholds": .array(thresholds.map { .double($0) })]
        }) { value, _ in value }
        server = RPCServer(configuration: ServerConfiguration(maxQueue: maxQueue, maxMessageBytes: maxMessageBytes,
                                                              maxOutputQueueBytes: maxOutputQueueBytes),
                           registry: registry)
    }

    deinit {
        server.stop()
    }

    func connect(initialize: Bool = true) throws -> TestClient {
        // The server side queues its output, as the daemon's transports do.
        let (serverSide, clientSide) = try Connection.pipePair(maxMessageBytes: server.configuration.maxMessageBytes,
                                                               outputQueueLimit: server.configuration.maxOutputQueueBytes)
        let client = TestClient(connection: clientSide)
        server.serve(serverSide) { code in client.exited(code) }
        if initialize { _ = try client.rpc.request("initialize", params: ["clientInfo": ["name": "tests"]], timeout: 5) }
        return client
    }
}

/// One client: records every notification and unmatched response, in arrival order.
final class TestClient: @unchecked Sendable {
    private(set) var rpc: RPCClient!
    private let lock = NSLock()
    private var events: [JSONValue] = []
    private var exitCode: Int32?
    let exitedSignal = DispatchSemaphore(value: 0)

    init(connection: Connection) {
        rpc = RPCClient(connection: connection, onNotification: { [weak self] notification in
            self?.record(RPCMessage.notification(notification).jsonValue)
        }, onUnmatchedResponse: { [weak self] response in
            self?.record(RPCMessage.response(response).jsonValue)
        })
    }

    func record(_ value: JSONValue) {
        lock.lock(); events.append(value); lock.unlock()
    }

    var recorded: [JSONValue] { lock.lock(); defer { lock.unlock() }; return events }

    func exited(_ code: Int32) {
        lock.lock(); exitCode = code; lock.unlock()
        exitedSignal.signal()
    }

    /// The session's exit code, waiting up to `timeout` seconds.
    func waitForExitCode(timeout: Double = 5) -> Int32? {
        guard exitedSignal.wait(timeout: .now() + timeout) == .success else { return nil }
        lock.lock(); defer { lock.unlock() }
        return exitCode
    }

    /// Sends a request; the returned waiter yields its outcome and the time it arrived.
    func start(_ method: String, params: JSONValue? = nil) -> PendingCall {
        let pending = PendingCall(method: method)
        pending.id = rpc.send(method, params: params) { outcome in pending.complete(outcome) }
        return pending
    }

    /// Sends a raw body and waits for `count` unmatched responses (those with an id no
    /// `send` registered, e.g. batches answered as arrays are delivered element by element).
    func waitForRecorded(count: Int, timeout: Double = 5) -> [JSONValue] {
        let deadline = Date().addingTimeInterval(timeout)
        while recorded.count < count, Date() < deadline { usleep(2_000) }
        return recorded
    }
}

final class PendingCall: @unchecked Sendable {
    let method: String
    var id: RequestID = .int(0)
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var outcome: Result<JSONValue, RPCError>?
    private(set) var arrival: Date?

    init(method: String) { self.method = method }

    func complete(_ result: Result<JSONValue, RPCError>) {
        lock.lock(); outcome = result; arrival = Date(); lock.unlock()
        done.signal()
    }

    /// Waits for the answer (nil on timeout).
    func wait(timeout: Double = 5) -> Result<JSONValue, RPCError>? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        done.signal()  // let later waits see it too
        lock.lock(); defer { lock.unlock() }
        return outcome
    }

    func errorCode(timeout: Double = 5) -> RPCErrorCode? {
        if case .failure(let error)? = wait(timeout: timeout) { return error.code }
        return nil
    }
}
