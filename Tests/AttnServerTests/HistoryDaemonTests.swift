import AttnProtocol
import Foundation
import GRDB
import JSONRPC
import XCTest

/// The run history with the real daemon and a file database: crashes, two daemons on one
/// file, and a database that cannot be used.
final class HistoryDaemonTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try DaemonSupport.temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private var dbPath: String { folder.appendingPathComponent("runs.sqlite").path }
    private var model: String { DaemonSupport.model("tiny-peaked") }

    /// `PRAGMA integrity_check` through the system sqlite3 library, read-only.
    private func integrityCheck(_ path: String) throws -> String {
        try SQLiteProbe.integrityCheck(path: path)
    }

    func testSIGKILLDuringASweepLeavesAHealthyDatabaseAndAnInterruptedRun() throws {
        let first = try DaemonSupport.spawn(["--model", model, "--db", dbPath])
        let kept = try first.request("pruneSweep", params: ["text": "runs that finished before the crash", "blockSizes": [2]])
        // A long sweep, then SIGKILL while it runs.
        let tokens: JSONValue = .array((0..<128).map { .int(Int64($0 * 7 % 512)) })
        first.send("pruneSweep", params: ["tokens": tokens, "endToEnd": true,
                                          "thresholds": .array((1...64).map { .double(Double($0) / 100) }),
                                          "blockSizes": .array((1...16).map { .int(Int64($0)) }),
                                          "workDoneToken": "t"]) { _ in }
        Thread.sleep(forTimeInterval: 1.0)   // let the run be written as running
        let running = try SQLiteProbe.statuses(path: dbPath)
        XCTAssertTrue(running.contains("running"), "the sweep is recorded as running before it finishes: \(running)")
        guard let pid = first.process?.processIdentifier else { return XCTFail("no process") }
        kill(pid, SIGKILL)
        _ = first.waitForExit(timeout: 10)

        XCTAssertEqual(try integrityCheck(dbPath), "ok")
        let second = try DaemonSupport.spawn(["--model", model, "--db", dbPath])
        defer { DaemonSupport.stop(second) }
        let interrupted = try second.request("runs/list", params: ["status": "interrupted"])
        XCTAssertEqual(interrupted["runs"]?.array.count, 1, "the killed run is marked interrupted on restart")
        let intact = try second.request("runs/get", params: ["id": kept["runId"]!])
        XCTAssertEqual(intact["status"], "completed")
        XCTAssertEqual(intact["result"]?["points"], kept["points"])
        let again = try second.request("pruneSweep", params: ["text": "runs that finished before the crash", "blockSizes": [2]])
        XCTAssertEqual(again["cached"], true, "the earlier run still answers from the cache")
    }

    func testTwoDaemonsWritingOneFileLoseNothing() throws {
        let a = try DaemonSupport.spawn(["--model", model, "--db", dbPath])
        let b = try DaemonSupport.spawn(["--model", model, "--db", dbPath])
        defer { DaemonSupport.stop(a); DaemonSupport.stop(b) }
        let perDaemon = 40
        let group = DispatchGroup()
        let lock = NSLock()
        var errors: [String] = []
        var ids: Set<String> = []
        for (client, tag) in [(a, "a"), (b, "b")] {
            DispatchQueue.global().async(group: group) {
                for i in 0..<perDaemon {
                    do {
                        let r = try client.request("forward", params: ["text": .string("daemon \(tag) request \(i)"), "topK": 1])
                        lock.withLock {
                            if let id = r["runId"]?.stringValue { ids.insert(id) }
                            if r["history"]?["stored"] != true { errors.append("not stored: \(r["history"] ?? .null)") }
                        }
                    } catch {
                        lock.withLock { errors.append("\(error)") }
                    }
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success)
        XCTAssertEqual(errors, [])
        XCTAssertEqual(ids.count, 2 * perDaemon)
        let listed = try a.request("runs/list", params: ["limit": 1000])
        XCTAssertEqual(listed["runs"]?.array.count, 2 * perDaemon)
        XCTAssertEqual(try integrityCheck(dbPath), "ok")
    }

    func testCorruptDatabaseStillAnswersAnalysesAndRunsSayWhy() throws {
        try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }).write(to: URL(fileURLWithPath: dbPath))
        try checkDegraded(["--model", model, "--db", dbPath])
    }

    func testUnopenableDatabaseStillAnswersAnalyses() throws {
        // A database path inside a regular file cannot be created, whoever runs the test.
        let blocker = folder.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: blocker)
        try checkDegraded(["--model", model, "--db", blocker.appendingPathComponent("runs.sqlite").path])
    }

    private func checkDegraded(_ arguments: [String]) throws {
        let client = try DaemonSupport.spawn(arguments)
        defer { DaemonSupport.stop(client) }
        let r = try client.request("forward", params: ["text": "still answered"])
        XCTAssertNotNil(r["argmax"])
        XCTAssertEqual(r["history"]?["stored"], false)
        XCTAssertFalse((r["history"]?["reason"]?.stringValue ?? "").isEmpty)
        let e = DaemonSupport.error(client, "runs/list", nil)
        XCTAssertEqual(e?.code, .historyUnavailable)
        XCTAssertFalse((e?.data?["reason"]?.stringValue ?? "").isEmpty)
        // Still serving after the failures.
        XCTAssertEqual(try client.request("model/info")["nLayer"], 2)
    }
}

/// Reads a run-history file directly (read-only), independent of the daemon.
enum SQLiteProbe {
    private static func open(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// `PRAGMA integrity_check`: "ok" for a healthy file.
    static func integrityCheck(path: String) throws -> String {
        try open(path).read { try String.fetchOne($0, sql: "PRAGMA integrity_check") ?? "" }
    }

    /// The status of every run.
    static func statuses(path: String) throws -> [String] {
        try open(path).read { try String.fetchAll($0, sql: "SELECT status FROM run") }
    }
}

extension HistoryDaemonTests {
    /// Another process holds the database's write lock past the daemon's busy timeout (5 s):
    /// the analysis is still answered, with `history.stored: false` and a reason; once the lock
    /// is gone, runs are stored again.
    func testALockHeldPastTheTimeoutStillAnswersAnalyses() throws {
        let client = try DaemonSupport.spawn(["--model", model, "--db", dbPath])
        defer { DaemonSupport.stop(client) }
        _ = try client.request("forward", params: ["text": "before the lock"])

        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true   // the lock stays held between the two accesses
        let blocker = try DatabaseQueue(path: dbPath, configuration: configuration)
        try blocker.inDatabase { try $0.execute(sql: "BEGIN EXCLUSIVE TRANSACTION") }
        let locked = try client.request("forward", params: ["text": "while locked"], timeout: 60)
        XCTAssertNotNil(locked["argmax"])
        XCTAssertEqual(locked["history"]?["stored"], false)
        let reason = locked["history"]?["reason"]?.stringValue ?? ""
        XCTAssertTrue(reason.contains("lock"), reason)
        try blocker.inDatabase { try $0.execute(sql: "ROLLBACK") }

        let after = try client.request("forward", params: ["text": "after the lock"])
        XCTAssertEqual(after["history"]?["stored"], true)
        let runs = try client.request("runs/list")["runs"]?.array ?? []
        XCTAssertEqual(runs.count, 2, "the runs before and after the lock are stored")
        XCTAssertEqual(try integrityCheck(dbPath), "ok")
    }
}
