import Foundation
import GRDB
import XCTest
@testable import RunStore

final class LifecycleTests: XCTestCase {
    func testBeginWritesARunningRowBeforeWork() throws {
        let store = try RunStore.inMemory()
        let id = try store.beginRun(try request(), now: at(5))
        XCTAssertEqual(id, id.lowercased())
        XCTAssertNotNil(UUID(uuidString: id))
        let run = try store.run(id: id).run
        XCTAssertEqual(run.status, .running)
        XCTAssertEqual(run.createdAtMs, 1_700_000_005_000)
        XCTAssertEqual(run.ownerID, RunOwner.current)
        XCTAssertEqual(run.clientName, "test")
        XCTAssertEqual(run.numTokens, 2)
        XCTAssertNil(run.finishedAtMs)
        XCTAssertNil(run.resultJSON)
    }

    func testCompleteStoresResultSummaryPointsAndDuration() throws {
        let store = try RunStore.inMemory()
        let id = try store.beginRun(try request(), now: at(0))
        try store.completeRun(id: id, resultJSON: Data(#"{"ok":1}"#.utf8), summaryJSON: Data(#"{"points":2}"#.utf8),
                              sweepPoints: [point(0.01, pruned: 0.5), point(0.02, pruned: 0.75)], now: at(1.25))
        let details = try store.run(id: id)
        XCTAssertEqual(details.run.status, .completed)
        XCTAssertEqual(details.run.durationMs, 1250)
        XCTAssertEqual(details.run.finishedAtMs, 1_700_000_001_250)
        XCTAssertEqual(details.run.resultJSON, #"{"ok":1}"#)
        XCTAssertEqual(details.run.summaryJSON, #"{"points":2}"#)
        XCTAssertEqual(details.sweepPoints.map(\.threshold), [0.01, 0.02])
        XCTAssertNil(details.run.error)
    }

    func testExplicitDurationWins() throws {
        let store = try RunStore.inMemory()
        let id = try store.beginRun(try request(), now: at(0))
        try store.completeRun(id: id, resultJSON: Data("{}".utf8), duration: 0.3, now: at(10))
        XCTAssertEqual(try store.run(id: id).run.durationMs, 300)
    }

    func testFailAndCancelRecordTheirReason() throws {
        let store = try RunStore.inMemory()
        let failed = try store.beginRun(try request(), now: at(0))
        let cancelled = try store.beginRun(try request(), now: at(0))
        try store.failRun(id: failed, error: "input too long: 2048 tokens, limit 1024", now: at(2))
        try store.cancelRun(id: cancelled, reason: "cancelled by client", now: at(3))
        let f = try store.run(id: failed).run, c = try store.run(id: cancelled).run
        XCTAssertEqual(f.status, .failed)
        XCTAssertEqual(f.error, "input too long: 2048 tokens, limit 1024")
        XCTAssertEqual(f.durationMs, 2000)
        XCTAssertEqual(c.status, .cancelled)
        XCTAssertEqual(c.error, "cancelled by client")
        XCTAssertEqual(c.durationMs, 3000)
    }

    func testOnlyARunningRunCanFinish() throws {
        let store = try RunStore.inMemory()
        let id = try store.beginRun(try request())
        try store.cancelRun(id: id, reason: "stop")
        assertThrows(try store.completeRun(id: id, resultJSON: Data("{}".utf8))) { $0 == .runNotRunning(id: id, status: .cancelled) }
        assertThrows(try store.failRun(id: id, error: "x")) { $0 == .runNotRunning(id: id, status: .cancelled) }
        assertThrows(try store.completeRun(id: "nope", resultJSON: Data("{}".utf8))) { $0 == .runNotFound(id: "nope") }
        XCTAssertEqual(try store.run(id: id).run.status, .cancelled)
    }

    func testCompletionIsOneTransaction() throws {
        // A point whose threshold is NaN is stored as NULL, which the NOT NULL column refuses:
        // the whole completion must roll back, leaving the run running with no result or points.
        let store = try RunStore.inMemory()
        let id = try store.beginRun(try request())
        XCTAssertThrowsError(try store.completeRun(id: id, resultJSON: Data("{}".utf8),
                                                   sweepPoints: [point(0.01, pruned: 0.5), point(.nan, pruned: 0.5)]))
        let details = try store.run(id: id)
        XCTAssertEqual(details.run.status, .running)
        XCTAssertNil(details.run.resultJSON)
        XCTAssertEqual(details.sweepPoints, [])
    }

    func testNaNMetricsAreStoredAsNull() throws {
        let store = try RunStore.inMemory()
        var p = point(0.01, pruned: 0.5)
        p.attentionKL = .nan
        let id = try completedRun(store, try request(), created: 0, points: [p])
        XCTAssertNil(try store.run(id: id).sweepPoints[0].attentionKL)
    }

    func testModelAndInputAreStoredOnceAndInputTextIsFilledIn() throws {
        let store = try RunStore.inMemory()
        try store.beginRun(try request(text: nil))
        try store.beginRun(try request(text: "The quick"))
        try store.beginRun(try request(text: nil))
        try store.writer.read { db in
            XCTAssertEqual(try ModelRecord.fetchCount(db), 1)
            XCTAssertEqual(try InputRecord.fetchAll(db).map(\.text), ["The quick"])
        }
    }
}
