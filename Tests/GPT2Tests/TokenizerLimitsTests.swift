import Foundation
import XCTest
@testable import GPT2
#if canImport(Glibc)
import Glibc
#endif

/// Tokenizer files are checked against `TokenizerLimits` before anything is allocated for
/// them, and refusing one costs at most about its own size in memory; messages never quote
/// more than a few characters of a file.
final class TokenizerLimitsTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder = nil }

    /// A folder with the fixture's merges.txt and the given vocab.json text.
    private func tokenizerFolder(vocab: Data? = nil, merges: Data? = nil, name: String = "tok") throws -> URL {
        let fixture = FixturePaths.tokenizer
        let dir = folder.url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try (vocab ?? Data(contentsOf: fixture.appendingPathComponent("vocab.json"))).write(to: dir.appendingPathComponent("vocab.json"))
        try (merges ?? Data(contentsOf: fixture.appendingPathComponent("merges.txt"))).write(to: dir.appendingPathComponent("merges.txt"))
        return dir
    }

    private func refusal(_ dir: URL, limits: TokenizerLimits) -> TokenizerError? {
        do {
            _ = try BPETokenizer(directory: dir, limits: limits)
            XCTFail("loaded")
            return nil
        } catch {
            return error as? TokenizerError
        }
    }

    /// The process's peak RSS growth, bytes, while `body` runs (Linux: VmHWM after a reset).
    private func peakGrowth(_ body: () -> Void) throws -> Int {
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let before = try status("VmRSS:")
        body()
        return try status("VmHWM:") - before
    }

    private func status(_ field: String) throws -> Int {
        let text = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix(field) })
        return try XCTUnwrap(Int(line.split(separator: " ").dropFirst().first ?? "")) * 1024
    }

    /// `{"t0": 0, "t1": 1, …}` with `count` entries.
    private func sequentialVocabulary(_ count: Int, firstID: Int = 0) -> Data {
        var text = "{"
        text.reserveCapacity(count * 16)
        for i in 0..<count { text += (i == 0 ? "" : ",") + "\"t\(i)\":\(firstID + i)" }
        return Data((text + "}").utf8)
    }

    func testAnIDOfABillionIsRefusedAgainstVocabSize() throws {
        let dir = try tokenizerFolder(vocab: Data(#"{"!": 0, "huge": 1000000000}"#.utf8))
        let error = try XCTUnwrap(refusal(dir, limits: TokenizerLimits(vocabSize: 512)))
        XCTAssertEqual(error, .invalidID(file: dir.appendingPathComponent("vocab.json").path, token: "huge",
                                         reason: "1000000000 is out of range 0…511"))
        // Without a config the default limit (2^22) still refuses it before allocating 10^9 slots.
        XCTAssertNotNil(refusal(dir, limits: TokenizerLimits()))
    }

    /// Three million entries (46 MB): refused at the first id ≥ vocab_size, with a peak far
    /// below twice the file (the old loader grew past 2.8 GB on ten million).
    func testMillionsOfEntriesAreRefusedWithinTwiceTheFileSize() throws {
        let vocab = sequentialVocabulary(3_000_000)
        let dir = try tokenizerFolder(vocab: vocab)
        var error: TokenizerError?
        let growth = try peakGrowth { error = refusal(dir, limits: TokenizerLimits(vocabSize: 50_257)) }
        guard case .invalidID(_, "t50257", "50257 is out of range 0…50256")? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertLessThan(growth, 2 * vocab.count, "peak grew \(growth) bytes for a \(vocab.count)-byte file")
        // Duplicate ids among entries are caught as they are read, naming both tokens.
        let twins = try tokenizerFolder(vocab: Data(#"{"a": 1, "b": 2, "c": 1}"#.utf8), name: "twins")
        XCTAssertEqual(refusal(twins, limits: TokenizerLimits(vocabSize: 512)),
                       .duplicateID(file: twins.appendingPathComponent("vocab.json").path, id: 1, first: "a", second: "c"))
    }

    func testOversizedFilesAreRefusedBeforeReading() throws {
        let dir = try tokenizerFolder()
        // A sparse 65 MiB vocab.json: refused by its size, never read.
        let handle = try FileHandle(forWritingTo: dir.appendingPathComponent("vocab.json"))
        try handle.truncate(atOffset: 65 << 20)
        try handle.close()
        var error: TokenizerError?
        let growth = try peakGrowth { error = refusal(dir, limits: TokenizerLimits()) }
        XCTAssertEqual(error, .limitExceeded(file: dir.appendingPathComponent("vocab.json").path,
                                             what: "the file's size (68157440 bytes)", limit: "67108864 bytes"))
        XCTAssertLessThan(growth, 8 << 20)
    }

    func testTooManyMergesAndOverlongTokensAreRefused() throws {
        // The fixture vocabulary has 512 entries; 513 merge lines are one too many.
        let lines = "#version: 0.2\n" + String(repeating: "Ġ t\n", count: 513)
        let dir = try tokenizerFolder(merges: Data(lines.utf8))
        XCTAssertEqual(refusal(dir, limits: TokenizerLimits(vocabSize: 512)),
                       .limitExceeded(file: dir.appendingPathComponent("merges.txt").path,
                                      what: "the number of merges (line 514)", limit: "512, one per vocabulary entry"))
        let long = try tokenizerFolder(vocab: Data(("{\"" + String(repeating: "x", count: 2000) + "\": 1}").utf8), name: "long")
        guard case .limitExceeded(_, let what, "1024 bytes")? = refusal(long, limits: TokenizerLimits()) else { return XCTFail() }
        XCTAssertEqual(what, "a token string (line 1)")
    }

    func testAFIFOIsRefusedWithoutBlocking() throws {
        let dir = try tokenizerFolder()
        let path = dir.appendingPathComponent("merges.txt").path
        try FileManager.default.removeItem(atPath: path)
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        guard case .unreadableFile(let file, let reason)? = refusal(dir, limits: TokenizerLimits()) else { return XCTFail() }
        XCTAssertEqual(file, path)
        XCTAssertTrue(reason.contains("not a regular file"), reason)
    }

    /// A tokenizer file that is really a secret (merges.txt linked to a shadow file, vocab.json
    /// to a key): the message names file and line and quotes at most a few characters.
    func testMessagesQuoteAtMostAFewCharactersOfTheFile() throws {
        let secret = "root:$6$saltsaltsalt$hashhashhashhashhash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"
        let secretFile = try folder.write(secret, to: "shadow")
        let mergesDir = try tokenizerFolder(name: "merges")
        try FileManager.default.removeItem(at: mergesDir.appendingPathComponent("merges.txt"))
        try FileManager.default.createSymbolicLink(at: mergesDir.appendingPathComponent("merges.txt"), withDestinationURL: secretFile)
        let vocabDir = try tokenizerFolder(name: "vocab")
        try FileManager.default.removeItem(at: vocabDir.appendingPathComponent("vocab.json"))
        try FileManager.default.createSymbolicLink(at: vocabDir.appendingPathComponent("vocab.json"), withDestinationURL: secretFile)
        let notAnObject = try tokenizerFolder(vocab: Data(("{\"key\": " + "\"" + secret + "\"}").utf8), name: "value")
        let cases: [(URL, String)] = [(mergesDir, "merges.txt line 1:"), (vocabDir, "line 1, column 1: expected a JSON object"),
                                      (notAnObject, "has an invalid id (not a number)")]
        for (dir, expected) in cases {
            let message = try XCTUnwrap(refusal(dir, limits: TokenizerLimits())).description
            XCTAssertTrue(message.contains(expected), message)
            // No run of more than 10 characters of the secret appears in the message.
            let chars = Array(secret)
            for start in 0..<(chars.count - 11) {
                let run = String(chars[start..<(start + 11)])
                XCTAssertFalse(message.contains(run), "\(message) quotes \(run)")
            }
        }
    }
}
