import Foundation
import XCTest
@testable import GPT2

/// Windowed pre-tokenisation gives the ids of the whole-text one, and `encode(_:limit:)` stops
/// as soon as the limit is exceeded.
final class TokenizerWindowTests: XCTestCase {
    private struct Case: Decodable { let text: String; let ids: [Int] }

    private func ids(_ t: BPETokenizer, _ text: String, window: Int) -> [Int] {
        t.encode(text, limit: nil, windowBytes: window).tokens.map(\.id)
    }

    func testTinyWindowsReproduceHuggingFaceOnEveryCase() throws {
        let tokenizer = try BPETokenizer(directory: FixturePaths.tokenizer)
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: FixturePaths.tokenizerCases))
        for c in cases {
            for window in [1, 2, 3, 4, 5, 7, 11, 16] {
                XCTAssertEqual(ids(tokenizer, c.text, window: window), c.ids, "window \(window): \(c.text.debugDescription)")
            }
        }
    }

    /// Random texts over the pattern's awkward corners (contractions cut at a window edge,
    /// whitespace runs before a word, non-ASCII spaces and digits, emoji, the special token).
    func testRandomTextsWindowedEqualWhole() throws {
        let tokenizer = try BPETokenizer(directory: FixturePaths.tokenizer)
        let parts = ["'", "s", "re", "ll", "ve", "d", "t", "m", "'re", "'ll", " ", "  ", "\n", "\t", "\u{3000}", "\u{A0}",
                     "a", "word", " the", "42", "²", "½", "!", "?!", "é", "\u{301}", "😀", "👍🏽", "<|endoftext|>", "Don", "'T"]
        var state: UInt64 = 99
        for trial in 0..<300 {
            var text = ""
            for _ in 0..<(5 + trial % 40) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                text += parts[Int(state >> 33) % parts.count]
            }
            let whole = ids(tokenizer, text, window: Int.max / 2)
            for window in [1, 3, 6, 13] {
                XCTAssertEqual(ids(tokenizer, text, window: window), whole, "window \(window): \(text.debugDescription)")
            }
        }
    }

    func testLimitStopsAsSoonAsItIsExceeded() throws {
        let tokenizer = try BPETokenizer(directory: FixturePaths.tokenizer)
        let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 200_000)   // 9 MB
        let prefix = tokenizer.encode(text, limit: 128)
        XCTAssertFalse(prefix.isComplete)
        XCTAssertEqual(prefix.ids.count, 129)
        let small = "The quick brown fox jumps over the lazy dog. The quick brown fox."
        XCTAssertEqual(prefix.ids, Array(tokenizer.encode(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 100)).prefix(129)))
        // Stopped within the first window or two, not after reading 9 MB.
        XCTAssertLessThan(prefix.bytesRead, 2 * BPETokenizer.windowBytes)
        let all = tokenizer.encode(small, limit: 128)
        XCTAssertTrue(all.isComplete)
        XCTAssertEqual(all.ids, tokenizer.encode(small))
        XCTAssertEqual(all.bytesRead, small.utf8.count)
        // Exactly at the limit is complete; one over is not.
        let n = tokenizer.encode(small).count
        XCTAssertTrue(tokenizer.encode(small, limit: n).isComplete)
        XCTAssertFalse(tokenizer.encode(small, limit: n - 1).isComplete)
        XCTAssertEqual(tokenizer.encode(small, limit: n - 1).ids, tokenizer.encode(small))
        // The special token counts as a token.
        let special = tokenizer.encode("<|endoftext|><|endoftext|><|endoftext|>", limit: 1)
        XCTAssertEqual(special.ids.count, 2)
        XCTAssertFalse(special.isComplete)
    }
}
