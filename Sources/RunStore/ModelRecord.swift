import Foundation
import GRDB

/// A model that produced runs, keyed by its weight fingerprint. Table `model`.
public struct ModelRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "model"

    /// Lowercase hex fingerprint of the checkpoint (`GPT2Checkpoint.fingerprint`).
    public var fingerprint: String
    /// Display name, e.g. `gpt2` or the folder name.
    public var name: String
    /// The model folder as loaded.
    public var path: String
    /// The checkpoint's `config.json`, as JSON text.
    public var configJSON: String
    /// When the store first saw this model, milliseconds since 1970.
    public var firstSeenAtMs: Int64

    public init(fingerprint: String, name: String, path: String, configJSON: String = "{}", firstSeenAt: Date = Date()) {
        self.fingerprint = fingerprint
        self.name = name
        self.path = path
        self.configJSON = configJSON
        self.firstSeenAtMs = firstSeenAt.millisecondsSince1970
    }

    enum CodingKeys: String, CodingKey {
        case fingerprint, name, path
        case configJSON = "config_json"
        case firstSeenAtMs = "first_seen_at"
    }

    public enum Columns {
        public static let fingerprint = Column(CodingKeys.fingerprint)
        public static let name = Column(CodingKeys.name)
        public static let path = Column(CodingKeys.path)
        public static let configJSON = Column(CodingKeys.configJSON)
        public static let firstSeenAtMs = Column(CodingKeys.firstSeenAtMs)
    }
}

extension ModelRecord {
    /// Fingerprints of the models called `name`.
    static func fingerprints(named name: String) -> QueryInterfaceRequest<ModelRecord> {
        ModelRecord.filter(Columns.name == name).select(Columns.fingerprint)
    }
}

extension Date {
    /// Milliseconds since 1970, rounded down; the unit of every time column in the store.
    var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    init(millisecondsSince1970 ms: Int64) { self.init(timeIntervalSince1970: Double(ms) / 1000) }
}
