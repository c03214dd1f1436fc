import Foundation
import GRDB
import XCTest
@testable import RunStore

final class QueryTests: XCTestCase {
    /// Seven runs: ids r0…r6 at seconds 0…6, with r3 and r4 created in the same millisecond.
    func sevenRuns() throws -> RunStore {
        let store = try RunStore.inMemory()
        let seconds: [Double] = [0, 1, 2, 3, 3, 5, 6]
        for (index, second) in seconds.enumerated() {
            let method = index.isMultiple(of: 2) ? "pruneSweep" : "forward"
            let model = index < 5 ? gpt2 : tinyModel
            let id = try store.beginRun(try request(method, model: model), id: "r\(index)", now: at(second))
            if index != 6 { try store.completeRun(id: id, resultJSON: Data("{}".utf8), now: at(second + 0.5)) }
        }
        return store
    }

    func testListsNewestFirstWithoutResults() throws {
        let page = try sevenRuns().listRuns()
        XCTAssertEqual(page.runs.map(\.id), ["r6", "r5", "r4", "r3", "r2", "r1", "r0"])
        XCTAssertNil(page.next)
        XCTAssertTrue(page.runs.allSatisfy { $0.resultJSON == nil })
    }

    func testCursorPagingVisitsEveryRunOnce() throws {
        let store = try sevenRuns()
        let first = try store.listRuns(limit: 3)
        XCTAssertEqual(first.runs.map(\.id), ["r6", "r5", "r4"])
        XCTAssertEqual(first.next, "r4")
        let second = try store.listRuns(limit: 3, before: first.next)
        XCTAssertEqual(second.runs.map(\.id), ["r3", "r2", "r1"], "r3 shares r4's millisecond and must not be skipped")
        let third = try store.listRuns(limit: 3, before: second.next)
        XCTAssertEqual(third.runs.map(\.id), ["r0"])
        XCTAssertNil(third.next)
        let exact = try store.listRuns(limit: 7)
        XCTAssertNil(exact.next, "no next page when the limit is exactly the count")
    }

    func testFilters() throws {
        let store = try sevenRuns()
        XCTAssertEqual(try store.listRuns(RunListFilter(method: "forward")).runs.map(\.id), ["r5", "r3", "r1"])
        XCTAssertEqual(try store.listRuns(RunListFilter(status: .running)).runs.map(\.id), ["r6"])
        XCTAssertEqual(try store.listRuns(RunListFilter(model: "beef")).runs.map(\.id), ["r6", "r5"])
        XCTAssertEqual(try store.listRuns(RunListFilter(model: "tiny-peaked")).runs.map(\.id), ["r6", "r5"], "by model name")
        XCTAssertEqual(try store.listRuns(RunListFilter(since: at(3))).runs.map(\.id), ["r6", "r5", "r4", "r3"])
        XCTAssertEqual(try store.listRuns(RunListFilter(method: "pruneSweep", status: .completed, model: "gpt2", since: at(1))).runs.map(\.id),
                       ["r4", "r2"])
        XCTAssertEqual(try store.listRuns(RunListFilter(method: "pruneSweep"), limit: 2, before: "r4").runs.map(\.id), ["r2", "r0"])
    }

    func testListArgumentErrors() throws {
        let store = try sevenRuns()
        for bad in [0, 1001, -5] {
            assertThrows(try store.listRuns(limit: bad)) {
                if case .invalidArgument(field: "limit", value: "\(bad)", accepted: "an integer in 1…1000") = $0 { return true }
                return false
            }
        }
        XCTAssertEqual(try store.listRuns(limit: 1000).runs.count, 7)
        assertThrows(try store.listRuns(before: "missing")) { $0 == .runNotFound(id: "missing") }
    }

    func testGetReturnsParamsResultStatusAndTimings() throws {
        let store = try RunStore.inMemory()
        let id = try completedRun(store, try request(params: #"{"thresholds":[1e-2]}"#), created: 7)
        let details = try store.run(id: id)
        XCTAssertEqual(details.run.paramsJSON, #"{"thresholds":[0.01]}"#)
        XCTAssertEqual(details.run.resultJSON, #"{"points":[]}"#)
        XCTAssertEqual(details.run.status, .completed)
        XCTAssertEqual(details.run.createdAt, at(7))
        XCTAssertEqual(details.run.finishedAt, at(8))
        XCTAssertEqual(details.run.durationMs, 1000)
        XCTAssertEqual(details.input?.text, "The quick")
        assertThrows(try store.run(id: "nope")) { $0 == .runNotFound(id: "nope") }
    }

    func testDeleteCascadesSweepPointsAndOrphanInputs() throws {
        let store = try RunStore.inMemory()
        let kept = try completedRun(store, try request(tokens: [1, 2]), created: 0, points: [point(0.01, pruned: 0.5)])
        let gone = try completedRun(store, try request(tokens: [3]), created: 1,
                                    points: [point(0.01, pruned: 0.5), point(0.02, pruned: 0.6)])
        try store.deleteRun(id: gone)
        assertThrows(try store.run(id: gone)) { $0 == .runNotFound(id: gone) }
        assertThrows(try store.deleteRun(id: gone)) { $0 == .runNotFound(id: gone) }
        try store.writer.read { db in
            XCTAssertEqual(try String.fetchAll(db, sql: "SELECT DISTINCT run_id FROM sweep_point"), [kept])
            XCTAssertEqual(try SweepPointRecord.fetchCount(db), 1)
            XCTAssertEqual(try String.fetchAll(db, sql: "SELECT hash FROM input"), [InputHash.of([1, 2])])
        }
    }

    func testPruneOlderThanKeepsNewerAndRunningRuns() throws {
        let store = try sevenRuns()
        let running = try store.beginRun(try request(), id: "old-running", now: at(-10))
        XCTAssertEqual(try store.pruneRuns(olderThan: at(3)), 3)   // r0, r1, r2
        XCTAssertEqual(try store.listRuns().runs.map(\.id), ["r6", "r5", "r4", "r3", running])
    }

    func testPruneKeepingNewestCount() throws {
        let store = try sevenRuns()
        XCTAssertEqual(try store.pruneRuns(keepingNewest: 4), 3)
        XCTAssertEqual(try store.listRuns().runs.map(\.id), ["r6", "r5", "r4", "r3"])
        // r6 is running: keeping 0 deletes every finished run and keeps r6.
        XCTAssertEqual(try store.pruneRuns(keepingNewest: 0), 3)
        XCTAssertEqual(try store.listRuns().runs.map(\.id), ["r6"])
        assertThrows(try store.pruneRuns(keepingNewest: -1)) {
            if case .invalidArgument(field: "keep", _, _) = $0 { return true }
            return false
        }
    }
}

extension QueryTests {
    func testModelNamesByFingerprint() throws {
        let store = try sevenRuns()
        XCTAssertEqual(try store.modelNames(fingerprints: ["f00d", "beef", "cafe"]), ["f00d": "gpt2", "beef": "tiny-peaked"])
        XCTAssertEqual(try store.modelNames(fingerprints: []), [:])
    }
}
