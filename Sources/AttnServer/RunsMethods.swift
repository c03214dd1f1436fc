import AttnProtocol
import Foundation
import JSONRPC
import RunStore

extension RunStoreError: RPCErrorConvertible {
    /// `runNotFound` is -32005; every other store failure is -32004 (historyUnavailable).
    public var rpcError: RPCError {
        switch self {
        case .runNotFound(let id):
            return RPCError(.runNotFound, "no run with id \(id) in the history", data: ["id": .string(id)])
        case let .invalidArgument(field, value, accepted):
            return RPCError.invalidParams(field: field, value: .string(value), accepted: accepted)
        default:
            return RPCError(.historyUnavailable, "run history error: \(description)", data: ["reason": .string(description)])
        }
    }
}

/// `runs/list`, `runs/get`, `runs/delete`, `runs/prune`: the history, answered at once.
extension ModelSession {
    func summary(_ run: RunRecord, modelName: String?) -> RunSummary {
        RunSummary(id: run.id, method: run.method, status: run.status.rawValue,
                   createdAt: RFC3339.string(run.createdAt), finishedAt: run.finishedAt.map(RFC3339.string),
                   durationMs: run.durationMs, model: run.modelFingerprint, modelName: modelName,
                   numTokens: run.numTokens, clientName: run.clientName,
                   summary: run.summaryJSON.flatMap { try? JSONParser.parse($0) } ?? [:])
    }

    /// A stored run as `runs/get` returns it: the summary fields plus `params`, `result`, `error`.
    func run(_ details: RunDetails) -> Run {
        var params = (try? JSONParser.parse(details.run.paramsJSON))?.objectValue ?? [:]
        if let text = details.input?.text, params["texts"] == nil { params["text"] = .string(text) }
        let result = details.run.status == .completed ? details.run.resultJSON.flatMap { try? JSONParser.parse($0) } : nil
        let error: RunError?
        switch details.run.status {
        case .failed: error = RunError(code: .internalError, message: details.run.error ?? "failed")
        case .cancelled: error = RunError(code: .requestCancelled, message: details.run.error ?? "cancelled")
        case .interrupted:
            error = RunError(code: .internalError, message: "the daemon running it exited", data: ["reason": "interrupted"])
        default: error = nil
        }
        return Run(summary: summary(details.run, modelName: details.model?.name), params: .object(params),
                   result: result, error: error)
    }

    func registerRuns(into registry: MethodRegistry) {
        registry.register("runs/list", kind: .immediate, params: RunsListParams.self, handle: { p, _ in
            let store = try self.history.requireStore()
            let filter = RunListFilter(method: p.method, status: p.status.flatMap(RunStatus.init(rawValue:)),
                                       model: p.model, since: p.since.flatMap(RFC3339.date))
            let page = try store.listRuns(filter, limit: p.limit, before: p.before)
            let names = try store.modelNames(fingerprints: Set(page.runs.map(\.modelFingerprint)))
            return RunsListResult(runs: page.runs.map { self.summary($0, modelName: names[$0.modelFingerprint]) }, next: page.next)
        })

        registry.register("runs/get", kind: .immediate, params: RunIDParams.self, handle: { p, _ in
            try self.run(self.history.requireStore().run(id: p.id))
        })

        registry.register("runs/delete", kind: .immediate, params: RunIDParams.self, handle: { p, _ in
            let store = try self.history.requireStore()
            if try store.run(id: p.id).run.status == .running {
                throw RPCError.invalidParams(field: "id", value: .string(p.id), accepted: "a run that is not running")
            }
            try store.deleteRun(id: p.id)
            return RunDeleted(deleted: true)
        })

        registry.register("runs/prune", kind: .immediate, params: RunsPruneParams.self, handle: { p, _ in
            let store = try self.history.requireStore()
            var deleted = 0
            if let d = p.olderThan.flatMap(RFC3339.date) { deleted += try store.pruneRuns(olderThan: d) }
            if let k = p.keep { deleted += try store.pruneRuns(keepingNewest: k) }
            return RunsPruned(deleted: deleted)
        })
    }
}
