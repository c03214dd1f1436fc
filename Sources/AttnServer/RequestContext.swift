import Foundation
import JSONRPC
import Logging

/// What a running handler can ask of the framework: cancellation and progress.
///
/// Threading: `checkCancelled`, `isCancelled` and `report` may be called from any thread;
/// cancellation is cooperative — the handler calls `checkCancelled()` between layers and
/// between sweep points (often enough that a cancel is answered within 200 ms).
public final class RequestContext: @unchecked Sendable {
    public let method: String
    public let requestID: RequestID
    /// The connection that asked (for logs), numbered from 1.
    public let clientID: Int
    /// The `workDoneToken` of the request (an integer or a string), when it had one.
    public let workDoneToken: JSONValue?
    public let logger: Logger
    /// `clientInfo.name` from the connection's `initialize`, when it gave one.
    public internal(set) var clientName: String?
    /// How many other clients are connected to the daemon right now.
    var otherClientCount: () -> Int = { 0 }
    /// Sends a notification to every other connected client.
    var notifyOtherClients: (RPCNotification) -> Void = { _ in }

    private let lock = NSLock()
    private var cancelled = false
    private var progressState: ProgressState = .notStarted
    private let notify: (RPCNotification) -> Void

    private enum ProgressState { case notStarted, running, ended }

    init(method: String, requestID: RequestID, clientID: Int, workDoneToken: JSONValue?, logger: Logger,
         notify: @escaping (RPCNotification) -> Void) {
        self.method = method
        self.requestID = requestID
        self.clientID = clientID
        self.workDoneToken = workDoneToken
        self.logger = logger
        self.notify = notify
    }

    /// True once `$/cancelRequest` named this request or its client went away.
    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    /// Throws -32800 (requestCancelled) when the request was cancelled; call it often.
    public func checkCancelled() throws {
        if isCancelled { throw RequestContext.cancellationError(method: method, id: requestID) }
    }

    static func cancellationError(method: String, id: RequestID) -> RPCError {
        RPCError(.requestCancelled, "request \(id) (\(method)) was cancelled")
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }

    /// Sends `$/progress` `report` to the asking client (only when the request carried a
    /// `workDoneToken`; otherwise does nothing).
    /// - Parameters:
    ///   - percentage: 0…100 (clamped), or nil.
    ///   - message: a short status such as "layer 3 of 12".
    public func report(percentage: Int? = nil, message: String? = nil) {
        var value: [String: JSONValue] = ["kind": "report"]
        if let percentage { value["percentage"] = .int(Int64(min(100, max(0, percentage)))) }
        if let message { value["message"] = .string(message) }
        sendProgress(value, when: .running, next: .running)
    }

    /// `begin`, sent by the framework when the work starts.
    func beginProgress() {
        sendProgress(["kind": "begin", "title": .string(method), "percentage": 0], when: .notStarted, next: .running)
    }

    /// `end`, sent by the framework just before the response.
    func endProgress(message: String? = nil) {
        var value: [String: JSONValue] = ["kind": "end"]
        if let message { value["message"] = .string(message) }
        sendProgress(value, when: .running, next: .ended)
    }

    private func sendProgress(_ value: [String: JSONValue], when required: ProgressState, next: ProgressState) {
        guard let token = workDoneToken else { return }
        lock.lock()
        guard progressState == required else { lock.unlock(); return }
        progressState = next
        // Sent under the lock so that `report` from another thread cannot overtake `end`.
        notify(RPCNotification(method: "$/progress", params: ["token": token, "value": .object(value)]))
        lock.unlock()
    }
}
