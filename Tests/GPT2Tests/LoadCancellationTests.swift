import Foundation
import XCTest
@testable import GPT2

/// A load can be stopped between its stages, while hashing and while packing.
final class LoadCancellationTests: XCTestCase {
    private struct Stop: Error {}

    func testCheckpointLoadStopsWhereTheCheckThrows() throws {
        let folder = FixturePaths.model("tiny-peaked")
        // Count the checks of a full load (fresh digest cache, so the weights are hashed)...
        var checks = 0
        _ = try GPT2Checkpoint.load(directory: folder, digestCache: WeightsDigestCache(), checkCancelled: { checks += 1 })
        XCTAssertGreaterThanOrEqual(checks, 3, "before the weights, before hashing, and per MiB hashed")
        // ...then stop at each of them in turn: the error comes out and nothing is returned.
        for stopAt in 1...checks {
            var seen = 0
            XCTAssertThrowsError(try GPT2Checkpoint.load(directory: folder, digestCache: WeightsDigestCache(), checkCancelled: {
                seen += 1
                if seen == stopAt { throw Stop() }
            })) { error in XCTAssertTrue(error is Stop, "\(error)") }
            XCTAssertEqual(seen, stopAt, "no check after the one that threw")
        }
    }

    func testADigestStoppedMidwayIsNotRemembered() throws {
        let cache = WeightsDigestCache()
        let folder = FixturePaths.model("tiny-peaked")
        var seen = 0
        XCTAssertThrowsError(try GPT2Checkpoint.load(directory: folder, digestCache: cache, checkCancelled: {
            seen += 1
            if seen == 3 { throw Stop() }   // the first check inside the digest
        }))
        let loaded = try GPT2Checkpoint.load(directory: folder, digestCache: cache)
        let fresh = try GPT2Checkpoint.load(directory: folder, digestCache: WeightsDigestCache())
        XCTAssertEqual(loaded.fingerprint, fresh.fingerprint, "the stopped hash left nothing wrong behind")
    }

    func testPackingStopsWhenCancelled() throws {
        let checkpoint = try GPT2Checkpoint.load(directory: FixturePaths.model("tiny-peaked"))
        XCTAssertThrowsError(try GPT2Model(weights: checkpoint.weights, threads: 1, isCancelled: { true })) { error in
            XCTAssertTrue(error is CancellationError, "\(error)")
        }
        XCTAssertNoThrow(try GPT2Model(weights: checkpoint.weights, threads: 1, isCancelled: { false }))
    }
}

/// The tokenizer files are parsed with cancellation checks too (GPT-2's 50,257 entries and
/// 50,000 merges: a dozen checks each).
final class TokenizerLoadCancellationTests: XCTestCase {
    private struct Stop: Error {}

    func testTheParseStopsWhereTheCheckThrows() throws {
        var checks = 0
        _ = try BPETokenizer(directory: FixturePaths.gpt2Tokenizer, checkCancelled: { checks += 1 })
        // 50,257 entries / 4096 = 12 checks, one between the files, 50,001 lines / 4096 = 12.
        XCTAssertEqual(checks, 12 + 1 + 12)
        for stopAt in [1, 13, 25] {
            var seen = 0
            XCTAssertThrowsError(try BPETokenizer(directory: FixturePaths.gpt2Tokenizer, checkCancelled: {
                seen += 1
                if seen == stopAt { throw Stop() }
            })) { XCTAssertTrue($0 is Stop, "\($0)") }
            XCTAssertEqual(seen, stopAt)
        }
    }
}
