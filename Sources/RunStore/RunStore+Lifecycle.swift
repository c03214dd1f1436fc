import Foundation
import GRDB

extension RunStore {
    /// Records `request` as `running` before its work starts, inserting its model and input on
    /// first use. Returns the run id (a lowercase UUID unless `id` is given).
    @discardableResult
    public func beginRun(_ request: RunRequest, id: String = UUID().uuidString.lowercased(), now: Date = Date()) throws(RunStoreError) -> String {
        let run = RunRecord(
            id: id, method: request.method, modelFingerprint: request.model.fingerprint,
            inputHash: request.input?.hash, numTokens: request.input?.tokenCount,
            paramsJSON: request.params.json, cacheKey: request.cacheKey, status: .running,
            error: nil, clientName: request.clientName, ownerID: ownerID,
            createdAtMs: now.millisecondsSince1970, finishedAtMs: nil, durationMs: nil,
            resultJSON: nil, summaryJSON: nil)
        try write { db in
            try request.model.insert(db, onConflict: .ignore)
            try request.input?.upsert(db)
            try run.insert(db)
        }
        return id
    }

    /// Completes a running run in one transaction: result, summary and sweep points all land, or
    /// nothing does. `duration` (seconds) defaults to the time since `beginRun`.
    /// - Throws: `.runNotFound`, `.runNotRunning` (e.g. already interrupted), or a database error.
    public func completeRun(id: String, resultJSON: Data, summaryJSON: Data? = nil, sweepPoints: [SweepPointRow] = [],
                            duration: TimeInterval? = nil, now: Date = Date()) throws(RunStoreError) {
        try write { db in
            try finish(db, id: id, status: .completed, error: nil, duration: duration, now: now, extra: [
                RunRecord.Columns.resultJSON.set(to: String(decoding: resultJSON, as: UTF8.self)),
                RunRecord.Columns.summaryJSON.set(to: summaryJSON.map { String(decoding: $0, as: UTF8.self) }),
            ])
            for (ordinal, point) in sweepPoints.enumerated() {
                try SweepPointRecord(runID: id, ordinal: ordinal, point: point).insert(db)
            }
        }
    }

    /// Marks a running run `failed` with its error message.
    public func failRun(id: String, error message: String, now: Date = Date()) throws(RunStoreError) {
        try write { db in try finish(db, id: id, status: .failed, error: message, duration: nil, now: now) }
    }

    /// Marks a running run `cancelled` with the reason (e.g. "cancelled by client").
    public func cancelRun(id: String, reason: String, now: Date = Date()) throws(RunStoreError) {
        try write { db in try finish(db, id: id, status: .cancelled, error: reason, duration: nil, now: now) }
    }

    /// Moves run `id` from `running` to a final `status`, in the caller's transaction.
    private func finish(_ db: Database, id: String, status: RunStatus, error: String?, duration: TimeInterval?,
                        now: Date, extra: [ColumnAssignment] = []) throws {
        guard let run = try RunRecord.all().withoutResult().filter(key: id).fetchOne(db) else {
            throw RunStoreError.runNotFound(id: id)
        }
        guard run.status == .running else { throw RunStoreError.runNotRunning(id: id, status: run.status) }
        let finished = now.millisecondsSince1970
        let durationMs = duration.map { Int64(($0 * 1000).rounded()) } ?? max(0, finished - run.createdAtMs)
        try RunRecord.filter(key: id).updateAll(db, [
            RunRecord.Columns.status.set(to: status.rawValue),
            RunRecord.Columns.error.set(to: error),
            RunRecord.Columns.finishedAtMs.set(to: finished),
            RunRecord.Columns.durationMs.set(to: durationMs),
        ] + extra)
    }
}
