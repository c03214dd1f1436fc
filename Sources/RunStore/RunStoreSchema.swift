import GRDB

/// The schema, as an append-only list of migrations.
///
/// A migration that has shipped is NEVER edited: databases in the field have already run it.
/// Change the schema by registering a new migration ("v2", "v3", …) at the end.
enum RunStoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE model (
                    fingerprint   TEXT NOT NULL PRIMARY KEY,
                    name          TEXT NOT NULL,
                    path          TEXT NOT NULL,
                    config_json   TEXT NOT NULL,
                    first_seen_at INTEGER NOT NULL
                );
                CREATE TABLE input (
                    hash          TEXT NOT NULL PRIMARY KEY,
                    token_count   INTEGER NOT NULL CHECK (token_count >= 0),
                    text          TEXT,
                    first_seen_at INTEGER NOT NULL
                );
                CREATE TABLE run (
                    id                TEXT NOT NULL PRIMARY KEY,
                    method            TEXT NOT NULL,
                    model_fingerprint TEXT NOT NULL REFERENCES model(fingerprint),
                    input_hash        TEXT REFERENCES input(hash),
                    num_tokens        INTEGER,
                    params_json       TEXT NOT NULL,
                    cache_key         TEXT NOT NULL,
                    status            TEXT NOT NULL
                        CHECK (status IN ('running', 'completed', 'failed', 'cancelled', 'interrupted')),
                    error             TEXT,
                    client_name       TEXT,
                    owner_id          TEXT NOT NULL,
                    created_at        INTEGER NOT NULL,
                    finished_at       INTEGER,
                    duration_ms       INTEGER,
                    result_json       TEXT,
                    summary_json      TEXT
                );
                CREATE INDEX run_newest_first ON run(created_at DESC, id DESC);
                CREATE INDEX run_cache_lookup ON run(cache_key, created_at DESC) WHERE status = 'completed';
                CREATE INDEX run_running_owner ON run(owner_id) WHERE status = 'running';
                CREATE INDEX run_model ON run(model_fingerprint);
                CREATE INDEX run_input ON run(input_hash);
                CREATE TABLE sweep_point (
                    id                    INTEGER PRIMARY KEY,
                    run_id                TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    ordinal               INTEGER NOT NULL,
                    selection             TEXT NOT NULL,
                    block_size            INTEGER NOT NULL,
                    threshold             REAL NOT NULL,
                    pruned_block_fraction REAL,
                    seed_pruned_fraction  REAL,
                    pruned_mass           REAL,
                    attention_kl          REAL,
                    seed_kl               REAL,
                    fully_pruned_rows     INTEGER NOT NULL,
                    output_kl             REAL,
                    top1_agreement        REAL,
                    nll_full              REAL,
                    nll_pruned            REAL,
                    UNIQUE (run_id, ordinal)
                );
                CREATE INDEX sweep_point_output_kl ON sweep_point(output_kl) WHERE output_kl IS NOT NULL;
                """)
        }
        // Issue 15: one row per finished window of an `evaluateCorpus` run, so the same request
        // resumes after a cancel, a crash or a restart. Keyed by the evaluation (model, input,
        // canonical params without `perWindow`), owned by the run that last used it.
        migrator.registerMigration("corpus-windows") { db in
            try db.execute(sql: """
                CREATE TABLE corpus_window (
                    evaluation_key TEXT NOT NULL,
                    ordinal        INTEGER NOT NULL CHECK (ordinal >= 0),
                    run_id         TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    result_json    TEXT NOT NULL,
                    PRIMARY KEY (evaluation_key, ordinal)
                );
                CREATE INDEX corpus_window_run ON corpus_window(run_id);
                """)
        }
        // Register the next migration here. Do not touch the ones above.
        return migrator
    }
}
