import Foundation
import XCTest
@testable import RunStore

/// A fixed clock origin so tests can place runs at known times (milliseconds matter for order).
let t0 = Date(timeIntervalSince1970: 1_700_000_000)

func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

let gpt2 = ModelRecord(fingerprint: "f00d", name: "gpt2", path: "/models/gpt2", configJSON: #"{"n_layer":12}"#, firstSeenAt: t0)
let tinyModel = ModelRecord(fingerprint: "beef", name: "tiny-peaked", path: "/models/tiny", firstSeenAt: t0)

/// A request for `method` on `tokens` with params given as JSON text (defaults: none).
func request(_ method: String = "pruneSweep", model: ModelRecord = gpt2, tokens: [Int] = [464, 2068],
             text: String? = "The quick", params: String = #"{"blockSizes":[16]}"#, client: String? = "test") throws -> RunRequest {
    RunRequest(method: method, model: model, input: InputRecord(tokens: tokens, text: text, firstSeenAt: t0),
               params: try CanonicalParams(Data(params.utf8)), clientName: client)
}

func point(_ threshold: Double, blockSize: Int = 16, pruned: Double, outputKL: Double? = nil) -> SweepPointRow {
    SweepPointRow(selection: "threshold", blockSize: blockSize, threshold: threshold,
               prunedBlockFraction: pruned, seedPrunedFraction: pruned / 2, prunedMass: threshold * 3,
               attentionKL: 0.001, seedKL: 0.002, fullyPrunedRows: 0,
               outputKL: outputKL, top1Agreement: outputKL.map { _ in 0.97 }, nllFull: outputKL.map { _ in 3.5 },
               nllPruned: outputKL.map { 3.5 + $0 })
}

/// Begins and completes one run created at `created` seconds after `t0`.
@discardableResult
func completedRun(_ store: RunStore, _ request: RunRequest, created: Double, points: [SweepPointRow] = []) throws -> String {
    let id = try store.beginRun(request, now: at(created))
    try store.completeRun(id: id, resultJSON: Data(#"{"points":[]}"#.utf8), summaryJSON: Data(#"{"n":1}"#.utf8),
                          sweepPoints: points, now: at(created + 1))
    return id
}

/// A fresh temporary folder, removed at the end of the test.
func temporaryFolder(_ testCase: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("runstore-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Asserts that `body` throws a `RunStoreError` matching `expected`.
func assertThrows<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line,
                     _ expected: (RunStoreError) -> Bool) {
    do {
        _ = try body()
        XCTFail("expected a RunStoreError, got a value", file: file, line: line)
    } catch let error as RunStoreError {
        XCTAssertTrue(expected(error), "unexpected error: \(error)", file: file, line: line)
    } catch {
        XCTFail("expected a RunStoreError, got \(error)", file: file, line: line)
    }
}
