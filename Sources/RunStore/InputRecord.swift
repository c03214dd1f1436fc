import Foundation
import GRDB

/// One analysed token sequence, keyed by the hash of its token ids. Table `input`.
/// The token ids themselves are not stored; the text is, when the request had one.
public struct InputRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "input"

    /// `InputHash.of(tokens)`: 32 lowercase hex digits.
    public var hash: String
    /// Number of tokens.
    public var tokenCount: Int
    /// The request's text, nil when the request gave token ids.
    public var text: String?
    /// When the store first saw this input, milliseconds since 1970.
    public var firstSeenAtMs: Int64

    /// The record for `tokens` (ids are hashed as Int32, see `InputHash`).
    public init(tokens: [Int], text: String? = nil, firstSeenAt: Date = Date()) {
        self.hash = InputHash.of(tokens)
        self.tokenCount = tokens.count
        self.text = text
        self.firstSeenAtMs = firstSeenAt.millisecondsSince1970
    }

    enum CodingKeys: String, CodingKey {
        case hash
        case tokenCount = "token_count"
        case text
        case firstSeenAtMs = "first_seen_at"
    }

    public enum Columns {
        public static let hash = Column(CodingKeys.hash)
        public static let tokenCount = Column(CodingKeys.tokenCount)
        public static let text = Column(CodingKeys.text)
        public static let firstSeenAtMs = Column(CodingKeys.firstSeenAtMs)
    }
}

extension InputRecord {
    /// Inserts the input, or fills in its text when an earlier run of the same tokens had none.
    func upsert(_ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO input (hash, token_count, text, first_seen_at) VALUES (?, ?, ?, ?)
            ON CONFLICT(hash) DO UPDATE SET text = coalesce(input.text, excluded.text)
            """, arguments: [hash, tokenCount, text, firstSeenAtMs])
    }
}
