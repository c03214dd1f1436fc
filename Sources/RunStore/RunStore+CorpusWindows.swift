import Foundation
import GRDB

/// The finished windows of corpus evaluations (table `corpus_window`): what lets the same
/// `evaluateCorpus` request continue from its first missing window.
extension RunStore {
    /// Stores window `ordinal` of evaluation `key` (replacing an earlier copy), owned by `runID`,
    /// in its own transaction: a crash loses at most the window in flight.
    public func saveCorpusWindow(key: String, ordinal: Int, runID: String, resultJSON: Data) throws(RunStoreError) {
        try write { db in
            try db.execute(sql: """
                INSERT INTO corpus_window (evaluation_key, ordinal, run_id, result_json) VALUES (?, ?, ?, ?)
                ON CONFLICT(evaluation_key, ordinal) DO UPDATE SET run_id = excluded.run_id, result_json = excluded.result_json
                """, arguments: [key, ordinal, runID, String(decoding: resultJSON, as: UTF8.self)])
        }
    }

    /// The stored windows of evaluation `key` from ordinal 0 up to the first missing one, in
    /// order, and hands them to `runID` (so deleting the older run that computed them keeps them).
    public func adoptCorpusWindows(key: String, runID: String) throws(RunStoreError) -> [Data] {
        try write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT ordinal, result_json FROM corpus_window WHERE evaluation_key = ? ORDER BY ordinal
                """, arguments: [key])
            var prefix: [Data] = []
            for row in rows {
                let ordinal: Int = row["ordinal"]
                guard ordinal == prefix.count else { break }
                let json: String = row["result_json"]
                prefix.append(Data(json.utf8))
            }
            try db.execute(sql: "UPDATE corpus_window SET run_id = ? WHERE evaluation_key = ? AND ordinal < ?",
                           arguments: [runID, key, prefix.count])
            return prefix
        }
    }
}
