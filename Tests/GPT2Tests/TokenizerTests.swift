import Foundation
import XCTest
@testable import GPT2

/// The tokenizer against HuggingFace's `GPT2TokenizerFast` outputs (Tests/Fixtures/reference).
final class TokenizerReferenceTests: XCTestCase {
    private struct Case: Decodable {
        let text: String
        let ids: [Int]
        let offsets: [[Int]]
        /// Byte spans of HF's pre-tokeniser on the whole text (no special-token split).
        let pretokens: [[Int]]
    }

    private struct IndexEntry: Decodable {
        let text: String
        let tokens: [Int]
    }

    private func loadCases() throws -> [Case] {
        try JSONDecoder().decode([Case].self, from: Data(contentsOf: FixturePaths.tokenizerCases))
    }

    private func escaped(_ text: String) -> String {
        text.unicodeScalars.map { $0.escaped(asASCII: true) }.joined()
    }

    func testIDsAndByteOffsetsMatchHuggingFaceOnEveryCase() throws {
        let tokenizer = try BPETokenizer(directory: FixturePaths.tokenizer)
        let cases = try loadCases()
        XCTAssertGreaterThanOrEqual(cases.count, 250, "fixture should hold the hand cases plus 200 random strings")
        var mismatches: [String] = []
        for item in cases {
            let encoded = tokenizer.encodeWithOffsets(item.text)
            let ids = encoded.map(\.id)
            let offsets = encoded.map { [$0.start, $0.end] }
            if ids != item.ids || offsets != item.offsets {
                mismatches.append("\"\(escaped(item.text))\": ids \(ids) offsets \(offsets), HF ids \(item.ids) offsets \(item.offsets)")
            }
            XCTAssertEqual(tokenizer.encode(item.text), item.ids, "encode and encodeWithOffsets disagree")
        }
        XCTAssertEqual(mismatches.count, 0, mismatches.prefix(10).joined(separator: "\n"))
    }

    func testPreTokensMatchHuggingFacesPreTokenizerOnEveryCase() throws {
        var mismatches: [String] = []
        for item in try loadCases() {
            let bytes = Array(item.text.utf8)
            var ranges: [Range<Int>] = []
            bytes.withUnsafeBufferPointer { GPT2PreTokenizer.split($0, range: 0..<bytes.count, into: &ranges) }
            let spans = ranges.map { [$0.lowerBound, $0.upperBound] }
            if spans != item.pretokens {
                mismatches.append("\"\(escaped(item.text))\": \(spans), HF \(item.pretokens)")
            }
        }
        XCTAssertEqual(mismatches.count, 0, mismatches.prefix(10).joined(separator: "\n"))
    }

    func testDecodeRoundTripsEveryCaseByteForByte() throws {
        let tokenizer = try BPETokenizer(directory: FixturePaths.tokenizer)
        for item in try loadCases() {
            // Compare bytes: String == would accept a canonically equivalent (re-normalised) result.
            let decoded = tokenizer.decode(tokenizer.encode(item.text))
            XCTAssertEqual(Array(decoded.utf8), Array(item.text.utf8), "\"\(escaped(item.text))\"")
            // The pieces' bytes laid end to end are the input: offsets and pieces agree.
            let joined = item.ids.flatMap { tokenizer.bytes(of: $0) ?? [] }
            XCTAssertEqual(joined, Array(item.text.utf8), "\"\(escaped(item.text))\"")
        }
    }

    func testModelFolderTokenizersReproduceTheReferenceTokens() throws {
        for model in ["tiny-peaked", "tiny-legacy"] {
            let tokenizer = try BPETokenizer(directory: FixturePaths.model(model))
            let indexURL = FixturePaths.reference(model).appendingPathComponent("index.json")
            let index = try JSONDecoder().decode([String: IndexEntry].self, from: Data(contentsOf: indexURL))
            XCTAssertFalse(index.isEmpty)
            for (name, entry) in index {
                XCTAssertEqual(tokenizer.encode(entry.text), entry.tokens, "\(model)/\(name)")
            }
        }
    }

    func testVocabularySizeAndEndOfTextIDComeFromVocabJSON() throws {
        let tokenizer = try BPETokenizer(directory: FixturePaths.tokenizer)
        let data = try Data(contentsOf: FixturePaths.tokenizer.appendingPathComponent("vocab.json"))
        let vocab = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Int])
        XCTAssertEqual(tokenizer.vocabularySize, (vocab.values.max() ?? -1) + 1)
        XCTAssertEqual(tokenizer.vocabularySize, 512)
        XCTAssertEqual(tokenizer.endOfTextID, vocab["<|endoftext|>"])
        XCTAssertEqual(tokenizer.piece(try XCTUnwrap(tokenizer.endOfTextID)), "<|endoftext|>")
    }

    func testConcurrentEncodingMatchesSerialEncoding() throws {
        let cases = try loadCases()
        let shared = try BPETokenizer(directory: FixturePaths.tokenizer)   // cold cache, filled concurrently
        let results = UnsafeMutableBufferPointer<[Int]>.allocate(capacity: cases.count * 4)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: cases.count * 4) { i in
            results[i] = shared.encode(cases[i % cases.count].text)
        }
        for i in 0..<(cases.count * 4) {
            XCTAssertEqual(results[i], cases[i % cases.count].ids, "\"\(escaped(cases[i % cases.count].text))\"")
        }
    }
}

/// Small cases worked out by hand from GPT-2's pattern and a three-merge vocabulary.
final class TokenizerHandWorkedTests: XCTestCase {
    // MARK: Byte alphabet

    func testByteAlphabetMatchesGPT2sPublishedSymbols() {
        // Known GPT-2 vocabulary symbols: space is "Ġ", newline "Ċ", NUL "Ā", DEL "ġ", NBSP "ł", soft hyphen "Ń".
        let expected: [UInt8: Unicode.Scalar] = [
            0x20: "\u{120}", 0x0A: "\u{10A}", 0x00: "\u{100}", 0x7F: "\u{121}",
            0xA0: "\u{142}", 0xAD: "\u{143}", 0x21: "!", 0x7E: "~", 0xA1: "¡", 0xFF: "ÿ",
        ]
        for (byte, scalar) in expected {
            XCTAssertEqual(ByteLevelAlphabet.scalarForByte[Int(byte)], scalar, "byte \(byte)")
        }
        var seen = Set<Unicode.Scalar>()
        for byte in 0..<256 {
            let scalar = ByteLevelAlphabet.scalarForByte[byte]
            XCTAssertTrue(seen.insert(scalar).inserted, "byte \(byte) shares a symbol")
            XCTAssertEqual(ByteLevelAlphabet.byte(for: scalar), UInt8(byte))
        }
        XCTAssertNil(ByteLevelAlphabet.byte(for: "\u{144}"))   // one past the last shifted symbol
        XCTAssertNil(ByteLevelAlphabet.byte(for: " "))         // space is shifted, not itself
    }

    // MARK: Pre-tokenisation

    private func pieces(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var ranges: [Range<Int>] = []
        bytes.withUnsafeBufferPointer { GPT2PreTokenizer.split($0, range: 0..<bytes.count, into: &ranges) }
        return ranges.map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    func testPreTokenisationFollowsThePattern() {
        let expected: [(String, [String])] = [
            ("", []),
            ("Hello world", ["Hello", " world"]),
            ("a  b", ["a", " ", " b"]),                     // \s+(?!\S) keeps the last space for " b"
            ("a   b", ["a", "  ", " b"]),
            ("x   ", ["x", "   "]),                          // trailing run: whole
            ("   x", ["  ", " x"]),
            ("\t\tx", ["\t", "\t", "x"]),                    // a tab never prefixes a word
            ("a\r\nb", ["a", "\r", "\n", "b"]),
            ("don't", ["don", "'t"]),
            ("DON'T", ["DON", "'", "T"]),                    // contractions are lower case only
            ("we'll've", ["we", "'ll", "'ve"]),
            ("'sa", ["'s", "a"]),
            (" 's", [" '", "s"]),
            ("''s", ["''", "s"]),
            ("abc123def", ["abc", "123", "def"]),
            ("½²٣ Ⅻ", ["½²٣", " Ⅻ"]),                      // No, Nd, Nl are all \p{N}
            ("e\u{301}x", ["e", "\u{301}", "x"]),            // a combining mark is not \p{L}
            ("a\u{A0}b", ["a", "\u{A0}", "b"]),              // NBSP is \s but not the optional space
            ("a \u{3000}b", ["a", " ", "\u{3000}", "b"]),
            ("!!! ?", ["!!!", " ?"]),
            ("  !!", [" ", " !!"]),
            ("👍🏽x", ["👍🏽", "x"]),
            ("x\u{1F}y", ["x", "\u{1F}", "y"]),             // U+001F is not White_Space
        ]
        for (text, want) in expected {
            XCTAssertEqual(pieces(text), want, "\(text.unicodeScalars.map { $0.escaped(asASCII: true) }.joined())")
        }
    }

    // MARK: A three-merge vocabulary

    /// Byte symbols get ids 0…255 (id = byte value); then `ll` = 256, `he` = 257, `hell` = 258,
    /// `<|endoftext|>` = 259. Merges by rank: `l l`, `h e`, `he ll`.
    private func threeMergeTokenizer(merges: String = "#version: 0.2\nl l\nh e\nhe ll\n",
                                     extra: [String: Int] = ["ll": 256, "he": 257, "hell": 258]) throws -> BPETokenizer {
        try BPETokenizer(vocabJSON: vocabJSON(extra.merging(["<|endoftext|>": 259]) { a, _ in a }), mergesText: merges)
    }

    private func vocabJSON(_ extra: [String: Int], droppingByte: UInt8? = nil) throws -> Data {
        var vocab: [String: Int] = [:]
        for byte in 0..<256 where UInt8(byte) != droppingByte {
            vocab[String(Character(ByteLevelAlphabet.scalarForByte[byte]))] = byte
        }
        vocab.merge(extra) { a, _ in a }
        return try JSONSerialization.data(withJSONObject: vocab)
    }

    func testThreeMergeVocabularyWorkedOnPaper() throws {
        let tokenizer = try threeMergeTokenizer()
        // h e l l o → (l l) h e ll o → (h e) he ll o → (he ll) hell o
        XCTAssertEqual(tokenizer.encode("hello"), [258, 111])
        // " hello" is one pre-token: Ġ h e l l o → Ġ hell o  (Ġ = byte 0x20 = id 32)
        let offsets = tokenizer.encodeWithOffsets("hello hello")
        XCTAssertEqual(offsets.map(\.id), [258, 111, 32, 258, 111])
        XCTAssertEqual(offsets.map { [$0.start, $0.end] }, [[0, 4], [4, 5], [5, 6], [6, 10], [10, 11]])
        XCTAssertEqual(tokenizer.encode("lll"), [256, 108])        // leftmost pair first
        XCTAssertEqual(tokenizer.encode("llll"), [256, 256])       // every occurrence, no overlap
        XCTAssertEqual(tokenizer.encode("she'll"), [115, 257, 39, 256])   // "she" → s he; "'ll" → ' ll
        XCTAssertEqual(tokenizer.encode("SHE'LL"), [83, 72, 69, 39, 76, 76])
        XCTAssertEqual(tokenizer.encode(""), [])
    }

    func testLongWordsMergeLikeShortOnes() throws {
        // One pre-token of 20 000–40 000 bytes each: the merge is O(n log n), so these finish quickly.
        let tokenizer = try threeMergeTokenizer()
        XCTAssertEqual(tokenizer.encode(String(repeating: "l", count: 20_001)),
                       Array(repeating: 256, count: 10_000) + [108])
        XCTAssertEqual(tokenizer.encode(String(repeating: "hello", count: 8_000)),
                       Array(repeating: [258, 111], count: 8_000).flatMap { $0 })
    }

    func testEndOfTextIsSplitOutBeforePreTokenisation() throws {
        let tokenizer = try threeMergeTokenizer()
        XCTAssertEqual(tokenizer.endOfTextID, 259)
        let encoded = tokenizer.encodeWithOffsets("he<|endoftext|> ll")
        XCTAssertEqual(encoded.map(\.id), [257, 259, 32, 256])
        XCTAssertEqual(encoded.map { [$0.start, $0.end] }, [[0, 2], [2, 15], [15, 16], [16, 18]])
        // An incomplete marker is ordinary text: "<|" is one punctuation pre-token, no merges.
        XCTAssertEqual(tokenizer.encode("<|endoftext"), [60, 124, 101, 110, 100, 111, 102, 116, 101, 120, 116])
        XCTAssertEqual(tokenizer.decode([257, 259, 256]), "he<|endoftext|>ll")
    }

    func testMergeRankDecidesWhichPairMergesFirst() throws {
        let extra = ["el": 256, "he": 257]
        let elFirst = try threeMergeTokenizer(merges: "e l\nh e\n", extra: extra)
        let heFirst = try threeMergeTokenizer(merges: "h e\ne l\n", extra: extra)
        XCTAssertEqual(elFirst.encode("hel"), [104, 256])
        XCTAssertEqual(heFirst.encode("hel"), [257, 108])
    }

    func testDecodeAndPieceOfPartialCharacters() throws {
        let tokenizer = try threeMergeTokenizer()
        // "é" is C3 A9; each byte alone is half a character.
        XCTAssertEqual(tokenizer.encode("é"), [0xC3, 0xA9])
        XCTAssertEqual(tokenizer.piece(0xC3), "\u{FFFD}")
        XCTAssertEqual(tokenizer.decode([0xC3, 0xA9]), "é")
        XCTAssertEqual(tokenizer.decode([104, -1, 10_000, 105]), "hi")   // unknown ids are skipped
        XCTAssertNil(tokenizer.piece(-1))
        XCTAssertNil(tokenizer.piece(tokenizer.vocabularySize))
        XCTAssertEqual(tokenizer.vocabularySize, 260)
    }

    // MARK: Malformed files

    private func assertRefused(vocab: Data, merges: String, as expected: TokenizerError,
                               mentioning fragments: [String], line: UInt = #line) {
        XCTAssertThrowsError(try BPETokenizer(vocabJSON: vocab, mergesText: merges), line: line) { error in
            XCTAssertEqual(error as? TokenizerError, expected, line: line)
            let message = String(describing: error)
            for fragment in fragments {
                XCTAssertTrue(message.contains(fragment), "\"\(message)\" lacks \"\(fragment)\"", line: line)
            }
        }
    }

    func testMalformedVocabularyIsRefusedWithFileAndToken() throws {
        let merges = "#version: 0.2\n"
        for notAnObject in ["[1, 2]", "{\"a\": "] {
            XCTAssertThrowsError(try BPETokenizer(vocabJSON: Data(notAnObject.utf8), mergesText: merges)) { error in
                guard case .vocabularyNotAnObject(file: "vocab.json", reason: _)? = error as? TokenizerError else {
                    return XCTFail("expected vocabularyNotAnObject, got \(error)")
                }
                XCTAssertTrue(String(describing: error).contains("expected a JSON object"))
            }
        }
        var withFloat = try XCTUnwrap(JSONSerialization.jsonObject(with: vocabJSON([:])) as? [String: Any])
        withFloat["half"] = 1.5
        assertRefused(vocab: try JSONSerialization.data(withJSONObject: withFloat), merges: merges,
                      as: .invalidID(file: "vocab.json", token: "half", reason: "1.5 is not an integer"),
                      mentioning: ["vocab.json", "\"half\""])
        assertRefused(vocab: try vocabJSON(["neg": -3]), merges: merges,
                      as: .invalidID(file: "vocab.json", token: "neg", reason: "-3 is out of range 0…4194303"),
                      mentioning: ["\"neg\"", "-3"])
        var withString = try XCTUnwrap(JSONSerialization.jsonObject(with: vocabJSON([:])) as? [String: Any])
        withString["word"] = "12"
        assertRefused(vocab: try JSONSerialization.data(withJSONObject: withString), merges: merges,
                      as: .invalidID(file: "vocab.json", token: "word", reason: "not a number"),
                      mentioning: ["\"word\""])
        assertRefused(vocab: try vocabJSON(["twin": 65]), merges: merges,
                      as: .duplicateID(file: "vocab.json", id: 65, first: "A", second: "twin"),
                      mentioning: ["65", "\"A\"", "\"twin\""])
        assertRefused(vocab: try vocabJSON(["<|endoftext|>": 256], droppingByte: 0x20), merges: merges,
                      as: .missingByteSymbol(file: "vocab.json", byte: 0x20, symbol: "\u{120}"),
                      mentioning: ["0x20", "256 byte symbols"])
    }

    func testMalformedMergesAreRefusedWithFileAndLine() throws {
        let vocab = try vocabJSON(["he": 256])
        assertRefused(vocab: vocab, merges: "#version: 0.2\nh e\nh e l\n",
                      as: .malformedMerge(file: "merges.txt", line: 3, text: "h e l"),
                      mentioning: ["merges.txt line 3", "\"h e l\""])
        assertRefused(vocab: vocab, merges: "#version: 0.2\nhe\n",
                      as: .malformedMerge(file: "merges.txt", line: 2, text: "he"),
                      mentioning: ["line 2"])
        assertRefused(vocab: vocab, merges: "h  e\n",
                      as: .malformedMerge(file: "merges.txt", line: 1, text: "h  e"),
                      mentioning: ["line 1"])
        assertRefused(vocab: vocab, merges: "#version: 0.2\nh e\nhe zz\n",
                      as: .mergeTokenNotInVocabulary(file: "merges.txt", line: 3, token: "zz"),
                      mentioning: ["line 3", "\"zz\""])
        assertRefused(vocab: vocab, merges: "#version: 0.2\r\nh e\r\nh i\r\n",
                      as: .mergeResultNotInVocabulary(file: "merges.txt", line: 3, result: "hi"),
                      mentioning: ["line 3", "\"hi\""])
    }

    func testMissingFolderNamesTheFile() {
        let folder = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)")
        XCTAssertThrowsError(try BPETokenizer(directory: folder)) { error in
            guard case let .unreadableFile(file, _)? = error as? TokenizerError else {
                return XCTFail("expected unreadableFile, got \(error)")
            }
            XCTAssertEqual(file, folder.appendingPathComponent("vocab.json").path)
        }
    }
}
