import AttnProtocol
import Foundation
import JSONRPC
import Logging
import RunStore

/// The daemon's view of the run history: a `RunStore` when one could be opened, else the
/// reason there is none. Never throws into an analysis: a failing database turns into
/// `history: {stored: false, reason}` in the result and a warning on stderr.
///
/// Threading: safe from any thread (RunStore is).
final class RunHistory: @unchecked Sendable {
    let store: RunStore?
    /// Why there is no store (`--no-history`, or the open error).
    let unavailableReason: String?
    private let logger: Logger

    init(configuration: ServerConfiguration, logger: Logger) {
        self.logger = logger
        guard configuration.historyEnabled else {
            store = nil
            unavailableReason = "history disabled (--no-history)"
            return
        }
        let path = configuration.databasePath ?? RunStore.defaultPath()
        do {
            let s = try RunStore(path: path)
            let marked = try s.markInterruptedRuns()
            if marked > 0 { logger.notice("marked \(marked) runs of exited daemons as interrupted") }
            store = s
            unavailableReason = nil
            logger.info("run history at \(path)")
        } catch {
            store = nil
            unavailableReason = "\(error)"
            logger.warning("run history unavailable, continuing without it: \(error)")
        }
    }

    /// The store for `runs/*`, or -32004 with the reason.
    func requireStore() throws -> RunStore {
        guard let store else {
            throw RPCError(.historyUnavailable, "run history unavailable: \(unavailableReason ?? "unknown")",
                           data: ["reason": .string(unavailableReason ?? "unknown")])
        }
        return store
    }

    /// A run in progress (or a cache hit).
    struct Ticket {
        let runID: String
        /// Nil while the run is stored; else why not.
        var failure: String?
        /// The stored result of an identical completed run, when the cache answered.
        let cached: JSONValue?
        let startedAt: Date

        var history: History { History(stored: failure == nil, reason: failure) }
    }

    /// Looks the request up in the cache (when `cacheable`) and otherwise writes the run as
    /// `running`.
    func begin(_ request: RunRequest, cacheable: Bool) -> Ticket {
        let fresh = UUID().uuidString.lowercased()
        guard let store else { return Ticket(runID: fresh, failure: unavailableReason, cached: nil, startedAt: Date()) }
        do {
            if cacheable, let hit = try store.cachedRun(for: request), let json = hit.resultJSON,
               let value = try? JSONParser.parse(json) {
                return Ticket(runID: hit.id, failure: nil, cached: value, startedAt: Date())
            }
            let id = try store.beginRun(request, id: fresh)
            return Ticket(runID: id, failure: nil, cached: nil, startedAt: Date())
        } catch {
            logger.warning("run history: could not record a \(request.method) run: \(error)")
            return Ticket(runID: fresh, failure: "\(error)", cached: nil, startedAt: Date())
        }
    }

    /// Stores the result in one transaction; returns the ticket with `failure` set if that failed.
    func complete(_ ticket: Ticket, result: JSONValue, digest: JSONValue, points: [SweepPointRow]) -> Ticket {
        guard let store, ticket.failure == nil else { return ticket }
        var t = ticket
        do {
            try store.completeRun(id: ticket.runID, resultJSON: JSONWriter.data(result),
                                  summaryJSON: JSONWriter.data(digest), sweepPoints: points,
                                  duration: Date().timeIntervalSince(ticket.startedAt))
        } catch {
            logger.warning("run history: could not store run \(ticket.runID): \(error)")
            t.failure = "\(error)"
        }
        return t
    }

    /// Records a failure or cancellation (best effort).
    func finish(_ ticket: Ticket, error: Error) {
        guard let store, ticket.failure == nil else { return }
        do {
            if let rpc = error as? RPCError, rpc.code == .requestCancelled {
                try store.cancelRun(id: ticket.runID, reason: rpc.message)
            } else {
                try store.failRun(id: ticket.runID, error: "\(error)")
            }
        } catch {
            logger.warning("run history: could not record the end of run \(ticket.runID): \(error)")
        }
    }
}
