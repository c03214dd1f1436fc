import Foundation
import XCTest
@testable import RunStore

final class InterruptedRunTests: XCTestCase {
    /// The owner id of a process that has exited (a finished `/bin/true`).
    func deadOwner() throws -> String {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        return "\(RunOwner.hostName()):\(child.processIdentifier):12345"
    }

    func testCurrentOwnerIsHostPidAndStartTimeFromProc() throws {
        let parts = RunOwner.current.split(separator: ":")
        XCTAssertEqual(parts.count, 3)
        XCTAssertEqual(String(parts[1]), "\(getpid())")
        let stat = try String(contentsOfFile: "/proc/self/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        XCTAssertEqual(String(parts[2]), String(fields[19]))
        XCTAssertTrue(RunOwner.isAlive(RunOwner.current))
    }

    func testLivenessOfOwners() throws {
        XCTAssertFalse(RunOwner.isAlive(try deadOwner()))
        let parts = RunOwner.current.split(separator: ":")
        XCTAssertFalse(RunOwner.isAlive("\(parts[0]):\(parts[1]):\(UInt64(parts[2])! + 1)"), "reused pid: start time differs")
        XCTAssertTrue(RunOwner.isAlive("some-other-host:1:1"), "another host cannot be checked: assume alive")
        XCTAssertTrue(RunOwner.isAlive("garbage"), "an id that does not parse is never declared dead")
    }

    func testMarksOnlyRunsWhoseOwnerIsGone() throws {
        let store = try RunStore.inMemory()
        let dead = try deadOwner()
        let deadRun = try store.owned(by: dead).beginRun(try request(), now: at(0))
        let deadButFinished = try completedRun(store.owned(by: dead), try request(), created: 0)
        let liveRun = try store.beginRun(try request(), now: at(0))            // this process
        let remoteRun = try store.owned(by: "elsewhere:77:1").beginRun(try request(), now: at(0))

        // A second daemon (another owner id) starting up on the same file.
        let marked = try store.owned(by: "\(RunOwner.hostName()):1:1").markInterruptedRuns(now: at(4))
        XCTAssertEqual(marked, 1)
        let interrupted = try store.run(id: deadRun).run
        XCTAssertEqual(interrupted.status, .interrupted)
        XCTAssertEqual(interrupted.durationMs, 4000)
        XCTAssertTrue(interrupted.error?.contains(dead) ?? false, interrupted.error ?? "nil")
        XCTAssertEqual(try store.run(id: deadButFinished).run.status, .completed)
        XCTAssertEqual(try store.run(id: liveRun).run.status, .running)
        XCTAssertEqual(try store.run(id: remoteRun).run.status, .running)
        assertThrows(try store.completeRun(id: deadRun, resultJSON: Data("{}".utf8))) { $0 == .runNotRunning(id: deadRun, status: .interrupted) }
    }

    func testNeverMarksItsOwnRunsEvenIfTheCheckSaysDead() throws {
        let store = try RunStore.inMemory()
        let own = try store.beginRun(try request())
        let other = try store.owned(by: "h:2:2").beginRun(try request())
        var asked: [String] = []
        XCTAssertEqual(try store.markInterruptedRuns(isOwnerAlive: { asked.append($0); return false }), 1)
        XCTAssertEqual(asked, ["h:2:2"])
        XCTAssertEqual(try store.run(id: own).run.status, .running)
        XCTAssertEqual(try store.run(id: other).run.status, .interrupted)
    }
}
