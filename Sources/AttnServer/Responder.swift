import Foundation
import JSONRPC

/// Delivers the one response of one request, serialised. A second answer is dropped (and
/// logged by the caller), so "every request gets exactly one response" holds even when a
/// cancel and a completion race.
///
/// No response body is larger than `maxResponseBytes`: a result that would be is replaced by
/// -32602 with `data {field: "response", responseBytes, maxMessageBytes}`, so a client never
/// receives a frame its own reader must refuse.
final class Responder: @unchecked Sendable {
    let id: RequestID?
    let maxResponseBytes: Int
    private let lock = NSLock()
    private var answered = false
    private let deliver: (Data) -> Void

    init(id: RequestID?, maxResponseBytes: Int = .max, deliver: @escaping (Data) -> Void) {
        self.id = id
        self.maxResponseBytes = maxResponseBytes
        self.deliver = deliver
    }

    /// Sends the response; returns false when this request was already answered.
    @discardableResult
    func answer(_ outcome: Result<JSONValue, RPCError>) -> Bool {
        lock.lock()
        let first = !answered
        answered = true
        lock.unlock()
        guard first else { return false }
        var body = JSONWriter.data(RPCMessage.response(RPCResponse(id: id, outcome: outcome)).jsonValue)
        if body.count > maxResponseBytes {
            let error = RPCError(.invalidParams,
                "invalid params: the response would be \(body.count) bytes, over the limit of \(maxResponseBytes) bytes (maxMessageBytes); ask for less (a shorter text, fewer thresholds or positions, exportPath instead of includeAttention)",
                data: ["field": "response", "responseBytes": .int(Int64(body.count)), "maxMessageBytes": .int(Int64(maxResponseBytes))])
            body = JSONWriter.data(RPCMessage.response(RPCResponse(id: id, outcome: .failure(error))).jsonValue)
        }
        deliver(body)
        return true
    }

    func answer(error: RPCError) { answer(.failure(error)) }
}

/// Collects the responses of one batch and sends them as one array once all have arrived
/// (in the order of the batch's requests). Sends nothing when the batch held only notifications.
final class BatchCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Data?] = []
    private var remaining = 0
    private var sealed = false
    private let maxResponseBytes: Int
    private let send: (Data) -> Void

    /// - Parameter maxResponseBytes: the bound on each response of the batch (see `Responder`).
    init(maxResponseBytes: Int = .max, send: @escaping (Data) -> Void) {
        self.maxResponseBytes = maxResponseBytes
        self.send = send
    }

    /// A responder for the next slot. Call before `seal()`.
    func makeResponder(id: RequestID?) -> Responder {
        lock.lock()
        let slot = slots.count
        slots.append(nil)
        remaining += 1
        lock.unlock()
        return Responder(id: id, maxResponseBytes: maxResponseBytes) { [self] response in fill(slot, response) }
    }

    /// No more slots will be added; sends at once if every slot is already filled.
    func seal() {
        lock.lock()
        sealed = true
        let ready = remaining == 0 && !slots.isEmpty
        lock.unlock()
        if ready { flush() }
    }

    private func fill(_ slot: Int, _ response: Data) {
        lock.lock()
        slots[slot] = response
        remaining -= 1
        let ready = sealed && remaining == 0
        lock.unlock()
        if ready { flush() }
    }

    private func flush() {
        lock.lock()
        let responses = slots.compactMap { $0 }
        lock.unlock()
        var body = Data("[".utf8)
        for (index, response) in responses.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(response)
        }
        body.append(UInt8(ascii: "]"))
        send(body)
    }
}
