import Foundation
import GRDB

/// Filters of `RunStore.listRuns`; nil means "any".
public struct RunListFilter: Sendable, Equatable {
    public var method: String?
    public var status: RunStatus?
    /// A model fingerprint or a model name.
    public var model: String?
    /// Runs created at or after this time.
    public var since: Date?

    public init(method: String? = nil, status: RunStatus? = nil, model: String? = nil, since: Date? = nil) {
        self.method = method
        self.status = status
        self.model = model
        self.since = since
    }
}

/// One page of `RunStore.listRuns`, newest first.
public struct RunPage: Sendable, Equatable {
    /// The runs, without `resultJSON`.
    public var runs: [RunRecord]
    /// Pass as `before` for the next page; nil on the last page.
    public var next: String?
}

/// Everything `runs/get` shows about one run.
public struct RunDetails: Sendable, Equatable {
    public var run: RunRecord
    public var model: ModelRecord?
    public var input: InputRecord?
    /// The run's sweep points in order; empty for other methods.
    public var sweepPoints: [SweepPointRow]
}

extension RunStore {
    /// Accepted `limit` of `listRuns`.
    public static let listLimits = 1...1000

    /// Runs matching `filter`, newest first, at most `limit`, strictly older than run `before`.
    /// - Throws: `.invalidArgument` for a limit outside 1…1000, `.runNotFound` for an unknown cursor.
    public func listRuns(_ filter: RunListFilter = RunListFilter(), limit: Int = 50, before: String? = nil) throws(RunStoreError) -> RunPage {
        guard Self.listLimits.contains(limit) else {
            throw .invalidArgument(field: "limit", value: "\(limit)", accepted: "an integer in 1…1000")
        }
        return try read { db in
            var request = RunRecord.all().withoutResult().newestFirst()
            if let method = filter.method { request = request.filter(method: method) }
            if let status = filter.status { request = request.filter(status: status) }
            if let model = filter.model { request = request.filter(model: model) }
            if let since = filter.since { request = request.created(since: since) }
            if let before {
                guard let cursor = try RunRecord.all().withoutResult().filter(key: before).fetchOne(db) else {
                    throw RunStoreError.runNotFound(id: before)
                }
                request = request.after(cursor)
            }
            let runs = try request.limit(limit + 1).fetchAll(db)
            let page = Array(runs.prefix(limit))
            return RunPage(runs: page, next: runs.count > limit ? page.last?.id : nil)
        }
    }

    /// The names models were loaded by, keyed by fingerprint, for the given fingerprints.
    public func modelNames(fingerprints: Set<String>) throws(RunStoreError) -> [String: String] {
        guard !fingerprints.isEmpty else { return [:] }
        return try read { db in
            let models = try ModelRecord.filter(keys: Array(fingerprints)).fetchAll(db)
            return Dictionary(models.map { ($0.fingerprint, $0.name) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// The stored run with its model, input and sweep points.
    /// - Throws: `.runNotFound`.
    public func run(id: String) throws(RunStoreError) -> RunDetails {
        try read { db in
            guard let run = try RunRecord.fetchOne(db, key: id) else { throw RunStoreError.runNotFound(id: id) }
            return RunDetails(
                run: run,
                model: try ModelRecord.fetchOne(db, key: run.modelFingerprint),
                input: try run.inputHash.flatMap { try InputRecord.fetchOne(db, key: $0) },
                sweepPoints: try SweepPointRecord.of(runID: id).fetchAll(db).map(\.point))
        }
    }

    /// Deletes a run and (by cascade) its sweep points, and its input when no other run uses it.
    /// - Throws: `.runNotFound`.
    public func deleteRun(id: String) throws(RunStoreError) {
        try write { db in
            guard try RunRecord.deleteOne(db, key: id) else { throw RunStoreError.runNotFound(id: id) }
            try Self.deleteOrphanInputs(db)
        }
    }

    /// Deletes finished runs created before `date`; `running` runs are kept. Returns the count.
    @discardableResult
    public func pruneRuns(olderThan date: Date) throws(RunStoreError) -> Int {
        try write { db in
            let deleted = try RunRecord.all().created(before: date).filter(RunRecord.Columns.status != RunStatus.running.rawValue).deleteAll(db)
            try Self.deleteOrphanInputs(db)
            return deleted
        }
    }

    /// Deletes finished runs beyond the newest `count` (counting all runs); `running` runs are
    /// kept. Returns the count deleted.
    /// - Throws: `.invalidArgument` for a negative count.
    @discardableResult
    public func pruneRuns(keepingNewest count: Int) throws(RunStoreError) -> Int {
        guard count >= 0 else { throw .invalidArgument(field: "keep", value: "\(count)", accepted: "an integer ≥ 0") }
        return try write { db in
            let newest = RunRecord.all().newestFirst().limit(count).select(RunRecord.Columns.id)
            let deleted = try RunRecord
                .filter(!newest.contains(RunRecord.Columns.id))
                .filter(RunRecord.Columns.status != RunStatus.running.rawValue)
                .deleteAll(db)
            try Self.deleteOrphanInputs(db)
            return deleted
        }
    }

    /// The newest completed run identical to `request` (model, input, method, canonical params),
    /// with its result; nil when there is none.
    public func cachedRun(for request: RunRequest) throws(RunStoreError) -> RunRecord? {
        try read { db in try RunRecord.all().cacheHits(for: request).fetchOne(db) }
    }

    /// Inputs no run refers to any more (their text may be large).
    private static func deleteOrphanInputs(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM input WHERE NOT EXISTS (SELECT 1 FROM run WHERE run.input_hash = input.hash)")
    }
}
