import Foundation
import XCTest

/// Issue 20 item 6 (and 11's folder as --file) on the real binaries: files are read byte for
/// byte, strictly as UTF-8 unless --encoding says otherwise.
final class CLIInputFileTests: XCTestCase {
    private func write(_ bytes: [UInt8], _ name: String, in harness: AttnHarness) throws -> String {
        let path = harness.folder.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// "caf" then 0xE9 (é in Latin-1, not UTF-8) at byte offset 3: refused with the offset and
    /// the way out; with --encoding latin-1 it is "café au lait\n", newline kept.
    func testNonUTF8FileIsRefusedWithItsByteOffsetUnlessAnEncodingIsGiven() throws {
        let harness = try AttnHarness()
        let path = try write(Array("caf".utf8) + [0xE9] + Array(" au lait\n".utf8), "latin1.txt", in: harness)
        let refused = try harness.run(["tokenize", "--file", path] + harness.modelArguments)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertEqual(refused.stderrLines.count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--file \(path) is not UTF-8: byte offset 3"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("0xE9") && refused.stderr.contains("--encoding latin-1"), refused.stderr)
        XCTAssertEqual(refused.stdout, "")

        let latin1 = try harness.json(["tokenize", "--file", path, "--encoding", "latin-1"])
        XCTAssertEqual((latin1["pieces"] as? [String])?.joined(), "café au lait\n")
        let replaced = try harness.json(["tokenize", "--file", path, "--encoding", "utf-8-replace"])
        // Byte-level pieces split U+FFFD's three bytes, so compare the text's length in bytes.
        XCTAssertEqual((replaced["offsets"] as? [[Int]])?.last?.last, "caf\u{FFFD} au lait\n".utf8.count)

        let piped = try harness.run(["tokenize"] + harness.modelArguments, stdin: String(decoding: [0x61, 0xFF], as: UTF8.self))
        XCTAssertEqual(piped.status, 0, "U+FFFD is valid UTF-8 once the harness has encoded it: \(piped.stderr)")
    }

    /// The file's final newline is part of the text, as Python's read() keeps it: the run from
    /// --file and the run from the same text (what the Python client sends) are one cached run.
    func testFileIsReadByteForByteAndSharesTheCachedRunWithTheSameText() throws {
        let harness = try AttnHarness()
        let content = "The quick brown fox\njumps over the lazy dog\n"
        let path = try write(Array(content.utf8), "essay.txt", in: harness)
        let fromFile = try harness.json(["sweep", "--block-sizes", "2", "--file", path])
        XCTAssertEqual(fromFile["cached"] as? Bool, false)
        let fromText = try harness.json(["sweep", "--block-sizes", "2", content])
        XCTAssertEqual(fromText["cached"] as? Bool, true, "same text, final newline included: the history answers")
        XCTAssertEqual(fromText["runId"] as? String, fromFile["runId"] as? String)
        let tokens = try harness.json(["tokenize", "--file", path])
        XCTAssertEqual((tokens["pieces"] as? [String])?.joined(), content)
    }

    func testAFolderOrAMissingFileSaysWhich() throws {
        let harness = try AttnHarness()
        let folder = try harness.run(["tokenize", "--file", harness.folder.path] + harness.modelArguments)
        XCTAssertEqual(folder.status, 2)
        XCTAssertTrue(folder.stderr.contains("it is a folder"), folder.stderr)
        let missing = try harness.run(["tokenize", "--file", harness.folder.appendingPathComponent("nope.txt").path] + harness.modelArguments)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("no such file"), missing.stderr)
        let badEncoding = try harness.run(["tokenize", "--file", "x", "--encoding", "ebcdic"] + harness.modelArguments)
        XCTAssertEqual(badEncoding.status, 2, badEncoding.stderr)
    }
}
