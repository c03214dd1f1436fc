import Foundation
import GRDB
import XCTest
@testable import RunStore

/// `corpus_window`: the stored windows of corpus evaluations.
final class CorpusWindowTests: XCTestCase {
    private func json(_ i: Int) -> Data { Data(#"{"window":\#(i)}"#.utf8) }

    /// Adoption returns the stored prefix (0, 1, 2 — not 4, after the gap at 3) in order, hands
    /// it to the new run, and a window saved twice keeps the later copy.
    func testAdoptsThePrefixUpToTheFirstMissingWindow() throws {
        let store = try RunStore.inMemory()
        let old = try store.beginRun(try request("evaluateCorpus"))
        for i in [0, 1, 2, 4] { try store.saveCorpusWindow(key: "k", ordinal: i, runID: old, resultJSON: json(i)) }
        try store.saveCorpusWindow(key: "k", ordinal: 1, runID: old, resultJSON: Data(#"{"window":"again"}"#.utf8))
        try store.saveCorpusWindow(key: "other", ordinal: 0, runID: old, resultJSON: json(9))
        let new = try store.beginRun(try request("evaluateCorpus"))
        let prefix = try store.adoptCorpusWindows(key: "k", runID: new)
        XCTAssertEqual(prefix.map { String(decoding: $0, as: UTF8.self) }, [#"{"window":0}"#, #"{"window":"again"}"#, #"{"window":2}"#])
        // The adopted windows survive deleting the run that computed them; window 4 does not.
        try store.deleteRun(id: old)
        XCTAssertEqual(try store.adoptCorpusWindows(key: "k", runID: new).count, 3)
        let left = try store.writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM corpus_window") }
        XCTAssertEqual(left, 3, "the other evaluation's and the unadopted window went with their run")
        try store.deleteRun(id: new)
        XCTAssertEqual(try store.adoptCorpusWindows(key: "k", runID: try store.beginRun(try request("evaluateCorpus"))).count, 0)
    }
}
