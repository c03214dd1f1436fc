import Foundation
import XCTest

/// Issue 20 item 9 on the real binaries: errors name the flags the user typed, a model that
/// cannot be loaded is a daemon error (exit 1, one line, no daemon log), and a text over the
/// context points to --truncate, which works.
final class CLIErrorWordingTests: XCTestCase {
    func testAModelThatCannotBeLoadedExitsOneWithOneLine() throws {
        let harness = try AttnHarness()
        for model in ["/nonexistent/model", harness.folder.path] {
            let outcome = try harness.run(["sweep", "--model", model, "--db", harness.db, "hi"])
            XCTAssertEqual(outcome.status, 1, "a daemon error, not 'no daemon reachable' (3): \(outcome.stderr)")
            XCTAssertEqual(outcome.stderrLines.count, 1, outcome.stderr)
            XCTAssertTrue(outcome.stderr.hasPrefix("attn: error -32003: cannot load model from \(model)"), outcome.stderr)
            XCTAssertFalse(outcome.stderr.contains("critical"), "no timestamped daemon log line")
        }
    }

    func testErrorsNameTheFlagsNotTheWireFields() throws {
        let harness = try AttnHarness()
        let cases: [([String], String)] = [
            (["sweep", "--max-output-kl", "0.1", "a b c"], "attn: error -32602: --max-output-kl 0.1 needs --end-to-end"),
            (["sweep", "--thresholds", "0.1,2", "a b c"], "attn: error -32602: --thresholds item 2: 2 is not a number in (0, 1]"),
            (["profile", "--export", "/nonexistent/folder/a.npy", "a b c"], "attn: error -32602: --export"),
            (["sweep", "--block-sizes", "0", "a b c"], "attn: error -32602: --block-sizes item 1: 0 is not"),
        ]
        for (arguments, prefix) in cases {
            let outcome = try harness.run(arguments + harness.modelArguments)
            XCTAssertEqual(outcome.status, 1, outcome.stderr)
            XCTAssertTrue(outcome.stderr.hasPrefix(prefix), "\(arguments): \(outcome.stderr)")
            for wire in ["maxOutputKL", "exportPath", "blockSizes", "thresholds[", "endToEnd"] {
                XCTAssertFalse(outcome.stderr.contains(wire), "\(arguments): \(outcome.stderr) names \(wire)")
            }
        }
    }

    /// tiny-peaked reads 128 tokens; 300 words are far more.
    func testATextOverTheContextPointsToTruncateWhichKeepsTheFirstTokens() throws {
        let harness = try AttnHarness()
        let long = String(repeating: "word ", count: 300)
        let refused = try harness.run(["forward", long] + harness.modelArguments)
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stderr, "attn: error -32602: the text has more than 128 tokens, the model's context; pass --truncate to keep the first 128, or split the text\n")
        let cut = try harness.run(["forward", "--truncate", "--json", long] + harness.modelArguments)
        XCTAssertEqual(cut.status, 0, cut.stderr)
        XCTAssertTrue(cut.stderr.contains("--truncate: kept the first 128 of "), cut.stderr)
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(cut.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(result["numTokens"] as? Int, 128)
        let full = try harness.json(["tokenize", long])
        let first = Array(try XCTUnwrap(full["tokens"] as? [Int]).prefix(128))
        let direct = try harness.json(["forward", "--tokens", first.map(String.init).joined(separator: ",")])
        XCTAssertEqual(direct["runId"] as? String, result["runId"] as? String, "the same first 128 tokens: one cached run")
        let short = try harness.run(["forward", "--truncate", "a b c"] + harness.modelArguments)
        XCTAssertEqual(short.status, 0)
        XCTAssertFalse(short.stderr.contains("--truncate"), "nothing to cut, nothing said")
    }
}
