import Foundation
import XCTest
@testable import GPT2

/// The tokenizer on GPT-2's real vocabulary (50,257 ids, 50,000 merges) against HuggingFace's
/// `GPT2TokenizerFast` (Tests/Fixtures/gpt2-tokenizer, written by its generate.py).
final class GPT2VocabularyTests: XCTestCase {
    private struct Case: Decodable {
        let text: String
        let ids: [Int]
        let offsets: [[Int]]
        let pretokens: [[Int]]
    }

    private static let tokenizer = Result { try BPETokenizer(directory: FixturePaths.gpt2Tokenizer) }

    private func cases() throws -> [Case] {
        try JSONDecoder().decode([Case].self, from: Data(contentsOf: FixturePaths.gpt2Tokenizer.appendingPathComponent("cases.json")))
    }

    private func escaped(_ text: String) -> String {
        text.unicodeScalars.map { $0.escaped(asASCII: true) }.joined()
    }

    func testTheVocabularyIsGPT2s() throws {
        let tokenizer = try Self.tokenizer.get()
        XCTAssertEqual(tokenizer.vocabularySize, 50257)
        XCTAssertEqual(tokenizer.encode("Hello world"), [15496, 995])
        XCTAssertEqual(tokenizer.encode("<|endoftext|>"), [50256])
        XCTAssertEqual(tokenizer.piece(50256), "<|endoftext|>")
    }

    func testIDsOffsetsAndPreTokensMatchHuggingFaceOnEveryCase() throws {
        let tokenizer = try Self.tokenizer.get()
        let all = try cases()
        XCTAssertGreaterThanOrEqual(all.count, 300, "hand cases, the real-vocabulary cases and 200 random strings")
        var mismatches: [String] = []
        for item in all {
            let encoded = tokenizer.encodeWithOffsets(item.text)
            let ids = encoded.map(\.id), offsets = encoded.map { [$0.start, $0.end] }
            if ids != item.ids || offsets != item.offsets {
                mismatches.append("\"\(escaped(item.text))\": ids \(ids) offsets \(offsets), HF ids \(item.ids) offsets \(item.offsets)")
            }
            let bytes = Array(item.text.utf8)
            var ranges: [Range<Int>] = []
            bytes.withUnsafeBufferPointer { GPT2PreTokenizer.split($0, range: 0..<bytes.count, into: &ranges) }
            if ranges.map({ [$0.lowerBound, $0.upperBound] }) != item.pretokens {
                mismatches.append("\"\(escaped(item.text))\": pre-tokens differ from HF's \(item.pretokens)")
            }
            XCTAssertEqual(Array(tokenizer.decode(ids).utf8), bytes, "\"\(escaped(item.text))\" does not round-trip")
        }
        XCTAssertEqual(mismatches.count, 0, mismatches.prefix(10).joined(separator: "\n"))
    }

    func testMultiTokenWordsMergeAsGPT2Does() throws {
        // Hand-checkable against the published merges: common words are single tokens with their
        // leading space; a rare word splits into known pieces.
        let tokenizer = try Self.tokenizer.get()
        XCTAssertEqual(tokenizer.encode(" the"), [262])
        XCTAssertEqual(tokenizer.encode("The"), [464])
        XCTAssertEqual(tokenizer.encode(" attention").count, 1)
        XCTAssertGreaterThan(tokenizer.encode(" Quasimodo").count, 1)
    }
}
