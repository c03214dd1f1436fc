import XCTest
@testable import GPT2

/// The committed HuggingFace fixtures load through the real loader in both key layouts.
/// Parameter counts are HF's own `num_parameters()` (printed by transformers 5.24 for these
/// folders: 45,952 for tiny-peaked with a tied head, 39,600 for tiny-legacy with its own head).
final class FixtureCheckpointTests: XCTestCase {
    func testTransformers5LayoutLoadsTied() throws {
        let ckpt = try GPT2Checkpoint.load(directory: FixturePaths.model("tiny-peaked"))
        XCTAssertEqual(ckpt.config, GPT2Config(nLayer: 2, nHead: 4, nEmbd: 32, nPositions: 128, vocabSize: 512))
        XCTAssertTrue(ckpt.weights.lmHeadIsTied)
        XCTAssertEqual(ckpt.weights.parameterCount, 45_952)
    }

    func testLegacyLayoutLoadsUntiedAndIgnoresBuffers() throws {
        let ckpt = try GPT2Checkpoint.load(directory: FixturePaths.model("tiny-legacy"))
        XCTAssertEqual(ckpt.config.nInner, 40)
        XCTAssertEqual(ckpt.config.nLayer, 3)
        XCTAssertFalse(ckpt.weights.lmHeadIsTied)
        XCTAssertEqual(ckpt.weights.parameterCount, 39_600)
        // The head is a different tensor from the embedding.
        let head = ckpt.weights.lmHead, wte = ckpt.weights.wte
        XCTAssertNotEqual(Array(head.buffer.prefix(8)), Array(wte.buffer.prefix(8)))
    }

    func testFingerprintsDifferBetweenModelsAndAreStable() throws {
        let a = try GPT2Checkpoint.load(directory: FixturePaths.model("tiny-peaked")).fingerprint
        let b = try GPT2Checkpoint.load(directory: FixturePaths.model("tiny-legacy")).fingerprint
        let a2 = try GPT2Checkpoint.load(directory: FixturePaths.model("tiny-peaked")).fingerprint
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a, a2)
    }
}
