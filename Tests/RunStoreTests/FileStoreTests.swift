import Foundation
import GRDB
import XCTest
@testable import RunStore

final class FileStoreTests: XCTestCase {
    func testDefaultPath() {
        XCTAssertEqual(RunStore.defaultPath(environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/u"]),
                       "/data/selectattention/runs.sqlite")
        XCTAssertEqual(RunStore.defaultPath(environment: ["HOME": "/home/u"]), "/home/u/.local/share/selectattention/runs.sqlite")
        XCTAssertEqual(RunStore.defaultPath(environment: ["XDG_DATA_HOME": "relative", "HOME": "/home/u"]),
                       "/home/u/.local/share/selectattention/runs.sqlite", "XDG requires an absolute path")
    }

    func testCreatesFoldersUsesWALAndKeepsRunsAcrossReopen() throws {
        let path = try temporaryFolder(self).appendingPathComponent("a/b/runs.sqlite").path
        var id = ""
        do {
            let store = try RunStore(path: path)
            id = try completedRun(store, try request(), created: 0, points: [point(0.01, pruned: 0.5)])
            XCTAssertEqual(try store.writer.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }, "wal")
        }
        let reopened = try RunStore(path: path)
        XCTAssertEqual(try reopened.run(id: id).sweepPoints.count, 1)
        try reopened.writer.read { db in
            XCTAssertEqual(try RunStoreSchema.migrator.appliedIdentifiers(db), ["corpus-windows", "v1"])
        }
    }

    func testTwoPoolsWritingConcurrentlyLoseNothing() throws {
        let path = try temporaryFolder(self).appendingPathComponent("shared.sqlite").path
        let runsPerWriter = 200
        let lock = NSLock()
        var errors: [String] = []
        var ids: [[String]] = [[], []]
        DispatchQueue.concurrentPerform(iterations: 2) { writer in
            do {
                // Both stores open (and migrate) the new file at the same time, too.
                let store = try RunStore(path: path)
                var mine: [String] = []
                for index in 0..<runsPerWriter {
                    let req = try request(tokens: [writer, index], params: #"{"writer":\#(writer),"index":\#(index)}"#)
                    let id = try store.beginRun(req)
                    try store.completeRun(id: id, resultJSON: Data("{}".utf8),
                                          sweepPoints: [point(0.01, pruned: 0.5), point(0.02, pruned: 0.6), point(0.05, pruned: 0.7)])
                    mine.append(id)
                }
                lock.lock(); ids[writer] = mine; lock.unlock()
            } catch {
                lock.lock(); errors.append("\(error)"); lock.unlock()
            }
        }
        XCTAssertEqual(errors, [])
        let store = try RunStore(path: path)
        try store.writer.read { db in
            XCTAssertEqual(try RunRecord.all().filter(status: .completed).fetchCount(db), 2 * runsPerWriter)
            XCTAssertEqual(Set(try String.fetchAll(db, sql: "SELECT id FROM run")), Set(ids.flatMap { $0 }))
            XCTAssertEqual(try SweepPointRecord.fetchCount(db), 2 * runsPerWriter * 3)
            XCTAssertEqual(try String.fetchAll(db, sql: "PRAGMA integrity_check"), ["ok"])
        }
    }

    /// Many stores migrating one new file at the same moment: every one opens, and the schema
    /// is complete once. (Before the migration retried, a loser failed with "table model
    /// already exists" in about 1 of 100 trials of 4 stores; 300 trials catch that with ~95% odds.)
    func testStoresMigratingANewFileAtOnceAllOpen() throws {
        let folder = try temporaryFolder(self)
        for trial in 0..<300 {
            let path = folder.appendingPathComponent("race-\(trial).sqlite").path
            let lock = NSLock()
            var errors: [String] = []
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do {
                    let store = try RunStore(path: path)
                    _ = try store.beginRun(try request())
                } catch {
                    lock.lock(); errors.append("\(error)"); lock.unlock()
                }
            }
            XCTAssertEqual(errors, [], "trial \(trial)")
            let store = try RunStore(path: path)
            try store.writer.read { db in
                XCTAssertEqual(try RunStoreSchema.migrator.appliedIdentifiers(db), ["corpus-windows", "v1"])
                XCTAssertEqual(try RunRecord.fetchCount(db), 4, "trial \(trial)")
            }
        }
    }

    func testCorruptFileGivesAClearError() throws {
        let url = try temporaryFolder(self).appendingPathComponent("corrupt.sqlite")
        var generator = SystemRandomNumberGenerator()
        try Data((0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: url)
        assertThrows(try RunStore(path: url.path)) {
            guard case .corrupt(path: url.path, _) = $0 else { return false }
            return $0.description.contains("not a valid SQLite database") && $0.description.contains(url.path)
        }
    }

    func testReadOnlyFileGivesAClearError() throws {
        let folder = try temporaryFolder(self).appendingPathComponent("ro")
        let path = folder.appendingPathComponent("runs.sqlite").path
        do { _ = try completedRun(try RunStore(path: path), try request(), created: 0) }   // closed at scope end
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path) }
        // Root ignores permission bits: drop to `nobody` while opening so they apply.
        let wasRoot = geteuid() == 0
        if wasRoot { XCTAssertEqual(seteuid(65534), 0) }
        defer { if wasRoot { _ = seteuid(0) } }
        assertThrows(try RunStore(path: path)) {
            guard case .unwritable(path: path, _) = $0 else { return false }
            return $0.description.contains("not writable") && $0.description.contains(path)
        }
    }

    func testUncreatableFolderGivesAClearError() throws {
        let blocker = try temporaryFolder(self).appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        let path = blocker.appendingPathComponent("runs.sqlite").path
        assertThrows(try RunStore(path: path)) {
            guard case .unwritable(path: path, let reason) = $0 else { return false }
            return reason.contains("cannot create folder")
        }
    }
}
