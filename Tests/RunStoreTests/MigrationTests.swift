import GRDB
import XCTest
@testable import RunStore

final class MigrationTests: XCTestCase {
    func testMigratesEmptyDatabaseToTheV1Schema() throws {
        let store = try RunStore.inMemory()
        try store.writer.read { db in
            XCTAssertEqual(try RunStoreSchema.migrator.appliedIdentifiers(db), ["corpus-windows", "v1"])
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations' ORDER BY name
                """)
            XCTAssertEqual(tables, ["corpus_window", "input", "model", "run", "sweep_point"])
            XCTAssertEqual(try db.columns(in: "corpus_window").map(\.name), ["evaluation_key", "ordinal", "run_id", "result_json"])
            func columns(_ table: String) throws -> [String] { try db.columns(in: table).map(\.name) }
            XCTAssertEqual(try columns("model"), ["fingerprint", "name", "path", "config_json", "first_seen_at"])
            XCTAssertEqual(try columns("input"), ["hash", "token_count", "text", "first_seen_at"])
            XCTAssertEqual(try columns("run"), [
                "id", "method", "model_fingerprint", "input_hash", "num_tokens", "params_json", "cache_key", "status",
                "error", "client_name", "owner_id", "created_at", "finished_at", "duration_ms", "result_json", "summary_json",
            ])
            XCTAssertEqual(try columns("sweep_point"), [
                "id", "run_id", "ordinal", "selection", "block_size", "threshold", "pruned_block_fraction",
                "seed_pruned_fraction", "pruned_mass", "attention_kl", "seed_kl", "fully_pruned_rows",
                "output_kl", "top1_agreement", "nll_full", "nll_pruned",
            ])
            let indexes = Set(try db.indexes(on: "run").map(\.name))
            XCTAssertTrue(indexes.isSuperset(of: ["run_newest_first", "run_cache_lookup", "run_running_owner"]), "\(indexes)")
            let cascade = try db.foreignKeys(on: "sweep_point").first
            XCTAssertEqual(cascade?.destinationTable, "run")
            let onDelete: String? = try Row.fetchOne(db, sql: "PRAGMA foreign_key_list(sweep_point)")?["on_delete"]
            XCTAssertEqual(onDelete, "CASCADE")
        }
    }

    func testEveryRecordRoundTripsThroughItsTable() throws {
        let store = try RunStore.inMemory()
        let request = try request()
        let id = try store.beginRun(request, now: at(0))
        let points = [point(0.01, pruned: 0.25, outputKL: 0.004), point(0.005, pruned: 0.125)]
        try store.completeRun(id: id, resultJSON: Data(#"{"points":[1]}"#.utf8), sweepPoints: points, now: at(2))
        let details = try store.run(id: id)
        XCTAssertEqual(details.model, gpt2)
        XCTAssertEqual(details.input, request.input)
        XCTAssertEqual(details.sweepPoints, points)
        XCTAssertEqual(details.run.resultJSON, #"{"points":[1]}"#)
    }

    func testStatusOutsideTheFiveValuesIsRejectedBySchema() throws {
        let store = try RunStore.inMemory()
        let id = try store.beginRun(try request())
        XCTAssertThrowsError(try store.writer.write { db in
            try db.execute(sql: "UPDATE run SET status = 'paused' WHERE id = ?", arguments: [id])
        })
    }
}
