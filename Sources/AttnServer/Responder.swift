import Foundation
import JSONRPC

/// Delivers the one response of one request. A second answer is dropped (and logged by the
/// caller), so "every request gets exactly one response" holds even when a cancel and a
/// completion race.
final class Responder: @unchecked Sendable {
    let id: RequestID?
    private let lock = NSLock()
    private var answered = false
    private let deliver: (JSONValue) -> Void

    init(id: RequestID?, deliver: @escaping (JSONValue) -> Void) {
        self.id = id
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
        deliver(RPCMessage.response(RPCResponse(id: id, outcome: outcome)).jsonValue)
        return true
    }

    func answer(error: RPCError) { answer(.failure(error)) }
}

/// Collects the responses of one batch and sends them as one array once all have arrived
/// (in the order of the batch's requests). Sends nothing when the batch held only notifications.
final class BatchCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [JSONValue?] = []
    private var remaining = 0
    private var sealed = false
    private let send: (JSONValue) -> Void

    init(send: @escaping (JSONValue) -> Void) {
        self.send = send
    }

    /// A responder for the next slot. Call before `seal()`.
    func makeResponder(id: RequestID?) -> Responder {
        lock.lock()
        let slot = slots.count
        slots.append(nil)
        remaining += 1
        lock.unlock()
        return Responder(id: id) { [self] response in fill(slot, response) }
    }

    /// No more slots will be added; sends at once if every slot is already filled.
    func seal() {
        lock.lock()
        sealed = true
        let ready = remaining == 0 && !slots.isEmpty
        lock.unlock()
        if ready { flush() }
    }

    private func fill(_ slot: Int, _ response: JSONValue) {
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
        send(.array(responses))
    }
}
