import Foundation
import XCTest

/// `attn eval`: the table over a corpus file, its settings syntax, and resuming through the CLI.
final class CLICorpusTests: XCTestCase {
    private let corpus = AttnHarness.repository.appendingPathComponent("Tests/Fixtures/reference/corpus/corpus.txt").path

    /// The table has a dense row and one row per --setting, with the numbers of the JSON result
    /// (the HF goldens pin those: dense perplexity 5926.87 at maxLength 128, stride 64).
    func testEvalPrintsOneRowPerSettingWithTheDaemonsNumbers() throws {
        let harness = try AttnHarness()
        let arguments = ["eval", "--file", corpus, "--max-length", "128", "--setting", "threshold=0.003125,block=32",
                         "--setting", "topK=2,block=8,sink"]
        let outcome = try harness.run(arguments + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("windows 12 (maxLength 128, stride 64; 0 reused") }, outcome.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("dense") && $0.contains("5927") }, outcome.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("threshold 0.003125 B32") }, outcome.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("topK 2 B8 sink") }, outcome.stdout)
        // The same request again: the history's completed run.
        let json = try harness.json(arguments)
        XCTAssertEqual(json["cached"] as? Bool, true)
        let dense = try XCTUnwrap(json["dense"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(dense["perplexity"] as? Double), 5926.8739, accuracy: 0.01)
        XCTAssertEqual((json["settings"] as? [Any])?.count, 2)
        // `attn runs show` draws the stored corpus run as the same table, and `runs list` its digest.
        let id = try XCTUnwrap(json["runId"] as? String)
        let show = try harness.run(["runs", "show", id] + harness.modelArguments)
        XCTAssertEqual(show.status, 0, show.stderr)
        let shown = show.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(shown.contains { $0.hasPrefix("windows 12 (maxLength 128, stride 64") }, show.stdout)
        XCTAssertTrue(shown.contains { $0.hasPrefix("dense") && $0.contains("5927") }, show.stdout)
        XCTAssertTrue(shown.contains { $0.hasPrefix("topK 2 B8 sink") }, show.stdout)
        XCTAssertFalse(show.stdout.contains("\"perWindow\""), "a table, not the raw JSON")
        let list = try harness.run(["runs", "list"] + harness.modelArguments)
        XCTAssertTrue(list.stdout.contains("windows=12") && list.stdout.contains("perplexity=5927"), list.stdout)
        let fraction = try XCTUnwrap((json["settings"] as? [[String: Any]])?.first?["prunedBlockFraction"] as? Double)
        XCTAssertTrue(fraction > 0 && fraction < 1, "threshold 0.003125 prunes some of the blocks: \(fraction)")
    }

    /// `--setting per-head=RUN` evaluates a stored calibration beside dense.
    func testACalibrationIsASetting() throws {
        let harness = try AttnHarness()
        let calibration = try harness.json(["calibrate", "--query-block-size", "4", "--block-size", "4", "--budget-output-kl", "0.05",
                                            "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog again."])
        let id = try XCTUnwrap(calibration["runId"] as? String)
        let outcome = try harness.run(["eval", "--file", corpus, "--max-length", "128", "--setting", "per-head=\(id)"]
                                      + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertTrue(outcome.stdout.split(separator: "\n").contains { $0.hasPrefix("per-head oracle threshold B4x4") }, outcome.stdout)
    }

    func testBadSettingsAreUsageErrors() throws {
        let harness = try AttnHarness()
        for (spec, words) in [("block=32", "name the rule"), ("threshold=x", "needs a number"), ("bogus=1,threshold=0.1", "unknown key bogus"),
                              ("threshold=0.1,topK=2", "one rule"), ("threshold=0.1,block=2.5", "whole number"),
                              ("per-head=", "needs a calibrate run id"), ("per-head=abc,block=4", "stands alone")] {
            let outcome = try harness.run(["eval", "--file", corpus, "--setting", spec] + harness.modelArguments)
            XCTAssertEqual(outcome.status, 2, "\(spec): \(outcome.stderr)")
            XCTAssertTrue(outcome.stderr.contains(words), "\(spec): \(outcome.stderr)")
        }
        let tooLong = try harness.run(["eval", "--file", corpus, "--max-length", "4096"] + harness.modelArguments)
        XCTAssertEqual(tooLong.status, 1, tooLong.stderr)
        XCTAssertTrue(tooLong.stderr.contains("--max-length") && tooLong.stderr.contains("2…128"), tooLong.stderr)
    }
}
