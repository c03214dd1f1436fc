import Foundation
import GRDB

/// The run history: models, inputs, runs and sweep points in one SQLite database.
///
/// Threading: `Sendable`; every method may be called from any thread and is synchronous. A file
/// store is a GRDB `DatabasePool` in WAL mode (one writer, concurrent readers). Several stores,
/// in this or other processes, may share one file: a writer waits up to `busyTimeout` for the
/// others before failing with `RunStoreError.locked`. Every method throws only `RunStoreError`.
public struct RunStore: Sendable {
    /// The GRDB writer, for read-only SQL over the history (`writer.read { db in … }`).
    /// Write through the lifecycle methods so the run invariants hold.
    public let writer: any DatabaseWriter
    /// The database file, `:memory:` for an in-memory store.
    public let path: String
    /// How long a statement waits for another writer, seconds.
    public let busyTimeout: TimeInterval
    /// The owner id written on runs this store begins (`RunOwner.current` unless a test says otherwise).
    public internal(set) var ownerID: String

    /// Opens (creating it and its folders if needed) the database file at `path` and migrates it.
    /// - Throws: `.unwritable` (folder or file not writable), `.corrupt` (not an SQLite file),
    ///   `.locked`, `.diskFull` or `.database`.
    public init(path: String, busyTimeout: TimeInterval = 5, ownerID: String = RunOwner.current) throws(RunStoreError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw .unwritable(path: path, reason: "cannot create folder \(folder.path): \(error.localizedDescription)")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        let pool = try Self.openPool(path: path, configuration: configuration, busyTimeout: busyTimeout)
        try self.init(writer: pool, path: path, busyTimeout: busyTimeout, ownerID: ownerID)
    }

    /// Opens the pool, retrying while another process holds the lock: SQLite answers
    /// `PRAGMA journal_mode = WAL` on a new file with SQLITE_BUSY at once, without waiting
    /// through the busy handler, when two processes open the file together.
    private static func openPool(path: String, configuration: Configuration, busyTimeout: TimeInterval) throws(RunStoreError) -> DatabasePool {
        let deadline = Date().addingTimeInterval(busyTimeout)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                usleep(useconds_t.random(in: 5_000...50_000))
            } catch {
                throw RunStoreError.translating(error, path: path, busyTimeout: busyTimeout)
            }
        }
    }

    /// A fresh, empty, migrated in-memory store (tests).
    public static func inMemory(ownerID: String = RunOwner.current) throws(RunStoreError) -> RunStore {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        do {
            let queue = try DatabaseQueue(configuration: configuration)
            return try RunStore(writer: queue, path: ":memory:", busyTimeout: 0, ownerID: ownerID)
        } catch {
            throw RunStoreError.translating(error, path: ":memory:", busyTimeout: 0)
        }
    }

    /// `$XDG_DATA_HOME/selectattention/runs.sqlite`, else `$HOME/.local/share/selectattention/runs.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base: URL
        if let dataHome = environment["XDG_DATA_HOME"], dataHome.hasPrefix("/") {
            base = URL(fileURLWithPath: dataHome)
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            base = URL(fileURLWithPath: home).appendingPathComponent(".local/share")
        }
        return base.appendingPathComponent("selectattention/runs.sqlite").path
    }

    init(writer: any DatabaseWriter, path: String, busyTimeout: TimeInterval, ownerID: String) throws(RunStoreError) {
        self.writer = writer
        self.path = path
        self.busyTimeout = busyTimeout
        self.ownerID = ownerID
        try migrate()
    }

    /// A store on the same database that begins runs as `ownerID` (tests of interrupted runs).
    func owned(by ownerID: String) -> RunStore {
        var copy = self
        copy.ownerID = ownerID
        return copy
    }

    /// Runs the migrator. GRDB reads the applied migrations outside a transaction and then runs
    /// each one in its own, so when two stores (threads or processes) migrate a new file at once
    /// the loser's migration can fail on tables the winner has just created ("table model already
    /// exists"), possibly before the winner has committed the later migrations. The loser then
    /// re-reads what is applied and migrates again, until the schema is complete or `busyTimeout`
    /// (seconds) has passed.
    private func migrate() throws(RunStoreError) {
        let migrator = RunStoreSchema.migrator
        let deadline = Date().addingTimeInterval(max(busyTimeout, 0.5))
        while true {
            do {
                try migrator.migrate(writer)
                return
            } catch {
                let complete = (try? writer.read { db in try migrator.hasCompletedMigrations(db) }) ?? false
                if complete { return }
                guard Self.mayBeAConcurrentMigration(error), Date() < deadline else { throw translating(error) }
                usleep(useconds_t.random(in: 2_000...20_000))
            }
        }
    }

    /// Errors a concurrent migration produces in the loser: objects that already exist
    /// (SQLITE_ERROR), a migration identifier already recorded (SQLITE_CONSTRAINT), a lock.
    private static func mayBeAConcurrentMigration(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return [.SQLITE_ERROR, .SQLITE_CONSTRAINT, .SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode)
    }

    func translating(_ error: any Error) -> RunStoreError {
        RunStoreError.translating(error, path: path, busyTimeout: busyTimeout)
    }

    /// `writer.write`, with errors translated.
    func write<T>(_ updates: (Database) throws -> T) throws(RunStoreError) -> T {
        do { return try writer.write(updates) } catch { throw translating(error) }
    }

    /// `writer.read`, with errors translated.
    func read<T>(_ value: (Database) throws -> T) throws(RunStoreError) -> T {
        do { return try writer.read(value) } catch { throw translating(error) }
    }
}
