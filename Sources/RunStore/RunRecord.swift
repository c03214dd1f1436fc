import Foundation
import GRDB

/// One analysis request and, once finished, its result. Table `run`.
/// JSON columns hold UTF-8 JSON text; attention tensors are never stored.
public struct RunRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "run"

    /// Lowercase UUID string.
    public var id: String
    /// The JSON-RPC method, e.g. `pruneSweep`.
    public var method: String
    public var modelFingerprint: String
    /// `InputHash.of(tokens)`; nil for a method without token input.
    public var inputHash: String?
    /// Number of input tokens (copied from `input` so listing needs no join).
    public var numTokens: Int?
    /// Canonical params JSON (`CanonicalParams.json`), part of the cache key.
    public var paramsJSON: String
    /// `RunRequest.cacheKey`: hash of (model, input, method, params).
    public var cacheKey: String
    public var status: RunStatus
    /// Failure message, cancellation or interruption reason.
    public var error: String?
    /// The client's `clientInfo.name`, when it sent one.
    public var clientName: String?
    /// `RunOwner` id of the process that ran it: `host:pid:start-time`.
    public var ownerID: String
    /// Milliseconds since 1970.
    public var createdAtMs: Int64
    /// Milliseconds since 1970; nil while running.
    public var finishedAtMs: Int64?
    /// Milliseconds spent; nil while running.
    public var durationMs: Int64?
    /// The full result JSON (completed runs). Nil in `list` pages, which leave it out.
    public var resultJSON: String?
    /// A small summary JSON for listings.
    public var summaryJSON: String?

    public var createdAt: Date { Date(millisecondsSince1970: createdAtMs) }
    public var finishedAt: Date? { finishedAtMs.map(Date.init(millisecondsSince1970:)) }

    enum CodingKeys: String, CodingKey {
        case id, method
        case modelFingerprint = "model_fingerprint"
        case inputHash = "input_hash"
        case numTokens = "num_tokens"
        case paramsJSON = "params_json"
        case cacheKey = "cache_key"
        case status, error
        case clientName = "client_name"
        case ownerID = "owner_id"
        case createdAtMs = "created_at"
        case finishedAtMs = "finished_at"
        case durationMs = "duration_ms"
        case resultJSON = "result_json"
        case summaryJSON = "summary_json"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let method = Column(CodingKeys.method)
        public static let modelFingerprint = Column(CodingKeys.modelFingerprint)
        public static let inputHash = Column(CodingKeys.inputHash)
        public static let numTokens = Column(CodingKeys.numTokens)
        public static let paramsJSON = Column(CodingKeys.paramsJSON)
        public static let cacheKey = Column(CodingKeys.cacheKey)
        public static let status = Column(CodingKeys.status)
        public static let error = Column(CodingKeys.error)
        public static let clientName = Column(CodingKeys.clientName)
        public static let ownerID = Column(CodingKeys.ownerID)
        public static let createdAtMs = Column(CodingKeys.createdAtMs)
        public static let finishedAtMs = Column(CodingKeys.finishedAtMs)
        public static let durationMs = Column(CodingKeys.durationMs)
        public static let resultJSON = Column(CodingKeys.resultJSON)
        public static let summaryJSON = Column(CodingKeys.summaryJSON)
    }
}

extension DerivableRequest<RunRecord> {
    /// Newest first; runs created in the same millisecond by descending id (a total order, so
    /// `before` cursors are exact).
    func newestFirst() -> Self {
        order(RunRecord.Columns.createdAtMs.desc, RunRecord.Columns.id.desc)
    }

    /// Runs strictly after `cursor` in `newestFirst` order.
    func after(_ cursor: RunRecord) -> Self {
        let created = RunRecord.Columns.createdAtMs, id = RunRecord.Columns.id
        return filter(created < cursor.createdAtMs || (created == cursor.createdAtMs && id < cursor.id))
    }

    /// Runs of the model with this fingerprint, or of models with this name.
    func filter(model: String) -> Self {
        let column = RunRecord.Columns.modelFingerprint
        return filter(column == model || ModelRecord.fingerprints(named: model).contains(column))
    }

    func filter(status: RunStatus) -> Self { filter(RunRecord.Columns.status == status.rawValue) }

    func filter(method: String) -> Self { filter(RunRecord.Columns.method == method) }

    func created(since date: Date) -> Self { filter(RunRecord.Columns.createdAtMs >= date.millisecondsSince1970) }

    func created(before date: Date) -> Self { filter(RunRecord.Columns.createdAtMs < date.millisecondsSince1970) }

    /// Completed runs with exactly this cache identity, newest first.
    func cacheHits(for request: RunRequest) -> Self {
        filter(RunRecord.Columns.cacheKey == request.cacheKey)
            .filter(status: .completed)
            .filter(RunRecord.Columns.modelFingerprint == request.model.fingerprint)
            .filter(RunRecord.Columns.inputHash == request.input?.hash)
            .filter(method: request.method)
            .filter(RunRecord.Columns.paramsJSON == request.params.json)
            .newestFirst()
    }

    /// Everything but the (possibly large) result JSON.
    func withoutResult() -> Self {
        select(.allColumns(excluding: [RunRecord.Columns.resultJSON]))
    }
}
