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

/// RFC 3339 UTC timestamps with milliseconds, as the protocol writes them.
enum Timestamp {
    private static let formatter: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f
    }()
    private static let plain: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f
    }()
    private static let lock = NSLock()

    static func string(_ date: Date) -> String { lock.withLock { formatter.string(from: date) } }
    static func date(_ s: String) -> Date? { lock.withLock { formatter.date(from: s) ?? plain.date(from: s) } }
}

/// `runs/list`, `runs/get`, `runs/delete`, `runs/prune`: the history, answered at once.
extension ModelSession {
    static let storedMethods = ["forward", "profileAttention", "pruneSweep", "perPositionKL"]

    private static func readDate(_ r: ParamReader, _ field: String) throws -> Date? {
        guard let s = try r.optionalString(field) else { return nil }
        guard let d = Timestamp.date(s) else { throw r.invalid(field, accepted: "an RFC 3339 date-time such as 2026-01-02T03:04:05Z") }
        return d
    }

    private static func readRunID(_ r: ParamReader) throws -> String {
        let id = try r.string("id")
        guard UUID(uuidString: id) != nil else { throw r.invalid("id", accepted: "a run id (a UUID)") }
        return id.lowercased()
    }

    func summaryJSON(_ run: RunRecord, modelName: String?) -> JSONValue {
        let summary = run.summaryJSON.flatMap { try? JSONParser.parse($0) } ?? [:]
        return [
            "id": .string(run.id), "method": .string(run.method), "status": .string(run.status.rawValue),
            "createdAt": .string(Timestamp.string(run.createdAt)),
            "finishedAt": run.finishedAt.map { .string(Timestamp.string($0)) } ?? .null,
            "durationMs": run.durationMs.map { .int($0) } ?? .null,
            "model": .string(run.modelFingerprint), "modelName": modelName.map { .string($0) } ?? .null,
            "numTokens": run.numTokens.map { .int(Int64($0)) } ?? .null,
            "clientName": run.clientName.map { .string($0) } ?? .null,
            "summary": summary,
        ]
    }

    /// A stored run as `runs/get` returns it: the summary fields plus `params`, `result`, `error`.
    func runJSON(_ details: RunDetails) -> JSONValue {
        var out = summaryJSON(details.run, modelName: details.model?.name).objectValue ?? [:]
        var params = (try? JSONParser.parse(details.run.paramsJSON))?.objectValue ?? [:]
        if let text = details.input?.text, params["texts"] == nil { params["text"] = .string(text) }
        out["params"] = .object(params)
        out["result"] = details.run.status == .completed
            ? (details.run.resultJSON.flatMap { try? JSONParser.parse($0) } ?? .null) : .null
        switch details.run.status {
        case .failed:
            out["error"] = ["code": .int(Int64(RPCErrorCode.internalError.rawValue)), "message": .string(details.run.error ?? "failed")]
        case .cancelled:
            out["error"] = ["code": .int(Int64(RPCErrorCode.requestCancelled.rawValue)), "message": .string(details.run.error ?? "cancelled")]
        case .interrupted:
            out["error"] = ["code": .int(Int64(RPCErrorCode.internalError.rawValue)), "message": "the daemon running it exited",
                            "data": ["reason": "interrupted"]]
        default:
            out["error"] = .null
        }
        return .object(out)
    }

    func registerRuns(into registry: MethodRegistry) {
        registry.register("runs/list", kind: .immediate, parse: { r -> (RunListFilter, Int, String?) in
            let method = try r.optionalString("method", oneOf: ModelSession.storedMethods)
            let status = try r.optionalString("status", oneOf: ["running", "completed", "failed", "cancelled", "interrupted"])
            let filter = RunListFilter(method: method, status: status.flatMap(RunStatus.init(rawValue:)),
                                       model: try r.optionalString("model"), since: try ModelSession.readDate(r, "since"))
            let limit = try r.int("limit", default: 50, range: 1...1000)
            let before = try r.optionalString("before")
            return (filter, limit, before)
        }, handle: { args, _ in
            let store = try self.history.requireStore()
            let page = try store.listRuns(args.0, limit: args.1, before: args.2?.lowercased())
            let names = try store.modelNames(fingerprints: Set(page.runs.map(\.modelFingerprint)))
            var result: [String: JSONValue] = ["runs": .array(page.runs.map { self.summaryJSON($0, modelName: names[$0.modelFingerprint]) })]
            if let next = page.next { result["next"] = .string(next) }
            return JSONValue.object(result)
        })

        registry.register("runs/get", kind: .immediate, parse: { try ModelSession.readRunID($0) }, handle: { id, _ in
            try self.runJSON(self.history.requireStore().run(id: id))
        })

        registry.register("runs/delete", kind: .immediate, parse: { try ModelSession.readRunID($0) }, handle: { id, _ in
            let store = try self.history.requireStore()
            if try store.run(id: id).run.status == .running {
                throw RPCError.invalidParams(field: "id", value: .string(id), accepted: "a run that is not running")
            }
            try store.deleteRun(id: id)
            return ["deleted": true] as JSONValue
        })

        registry.register("runs/prune", kind: .immediate, parse: { r -> (Date?, Int?) in
            let olderThan = try ModelSession.readDate(r, "olderThan")
            let keep = try r.optionalInt("keep", range: 0...Int.max)
            if olderThan == nil && keep == nil {
                throw r.invalid("olderThan", accepted: "at least one of olderThan (RFC 3339) and keep (≥ 0)")
            }
            return (olderThan, keep)
        }, handle: { args, _ in
            let store = try self.history.requireStore()
            var deleted = 0
            if let d = args.0 { deleted += try store.pruneRuns(olderThan: d) }
            if let k = args.1 { deleted += try store.pruneRuns(keepingNewest: k) }
            return ["deleted": .int(Int64(deleted))] as JSONValue
        })
    }
}
