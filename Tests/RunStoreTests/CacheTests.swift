import Foundation
import XCTest
@testable import RunStore

final class CacheTests: XCTestCase {
    let defaults = Data(#"{"selection":"threshold","thresholds":[0.01,0.005],"blockSizes":[16,32],"keepSink":false}"#.utf8)

    func sweep(_ params: String, tokens: [Int] = [464, 2068], model: ModelRecord = gpt2, method: String = "pruneSweep") throws -> RunRequest {
        RunRequest(method: method, model: model, input: InputRecord(tokens: tokens, text: nil),
                   params: try CanonicalParams(Data(params.utf8), defaults: defaults))
    }

    func testEquivalentRequestsHitTheCompletedRun() throws {
        let store = try RunStore.inMemory()
        let original = try sweep(#"{"thresholds":[0.1],"blockSizes":[16,32]}"#)
        let id = try completedRun(store, original, created: 0)
        for params in [
            #"{"blockSizes":[16,32],"thresholds":[0.1]}"#,                                     // reordered
            #"{"thresholds":[1e-1],"selection":"threshold","keepSink":false}"#,                 // defaults spelled out, 1e-1
            #"{"thresholds":[0.1],"force":false,"workDoneToken":"tok","text":"The quick"}"#,   // non-semantic fields
        ] {
            let hit = try store.cachedRun(for: try sweep(params))
            XCTAssertEqual(hit?.id, id, params)
            XCTAssertEqual(hit?.resultJSON, #"{"points":[]}"#)
            XCTAssertEqual(try sweep(params).cacheKey, original.cacheKey)
        }
    }

    func testDifferentRequestsMiss() throws {
        let store = try RunStore.inMemory()
        try completedRun(store, try sweep(#"{"thresholds":[0.1]}"#), created: 0)
        XCTAssertNil(try store.cachedRun(for: try sweep(#"{"thresholds":[0.2]}"#)), "another threshold")
        XCTAssertNil(try store.cachedRun(for: try sweep(#"{"thresholds":[0.1]}"#, tokens: [464])), "other tokens")
        XCTAssertNil(try store.cachedRun(for: try sweep(#"{"thresholds":[0.1]}"#, model: tinyModel)), "other model")
        XCTAssertNil(try store.cachedRun(for: try sweep(#"{"thresholds":[0.1]}"#, method: "profileAttention")), "other method")
        XCTAssertNotEqual(try sweep(#"{"thresholds":[0.2]}"#).cacheKey, try sweep(#"{"thresholds":[0.1]}"#).cacheKey)
    }

    func testOnlyCompletedRunsServeAndTheNewestWins() throws {
        let store = try RunStore.inMemory()
        let request = try sweep("{}")
        let running = try store.beginRun(request, now: at(0))
        let failed = try store.beginRun(request, now: at(1))
        try store.failRun(id: failed, error: "boom", now: at(2))
        XCTAssertNil(try store.cachedRun(for: request))
        let older = try completedRun(store, request, created: 3)
        let newer = try completedRun(store, request, created: 5)
        XCTAssertEqual(try store.cachedRun(for: request)?.id, newer)
        try store.deleteRun(id: newer)
        XCTAssertEqual(try store.cachedRun(for: request)?.id, older)
        XCTAssertEqual(try store.run(id: running).run.status, .running)
    }
}
