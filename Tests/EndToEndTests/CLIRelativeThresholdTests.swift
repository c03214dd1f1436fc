import Foundation
import XCTest

/// `relativeThreshold` through `attn`: `sweep --selection`, `kl`, `eval --setting`, and the
/// daemon's range error as one line.
final class CLIRelativeThresholdTests: XCTestCase {
    private let text = "The quick brown fox jumps over the lazy dog. The dog sleeps."
    private let corpus = AttnHarness.repository.appendingPathComponent("Tests/Fixtures/reference/corpus/corpus.txt").path

    func testSweepTableNamesTheRuleValueC() throws {
        let harness = try AttnHarness()
        let arguments = ["sweep", "--selection", "relativeThreshold", "--thresholds", "1,0.5", "--block-sizes", "2", "--no-history", text]
        let result = try harness.json(arguments)
        let points = try XCTUnwrap(result["points"] as? [[String: Any]])
        XCTAssertEqual(points.map { $0["selection"] as? String }, ["relativeThreshold", "relativeThreshold"])
        XCTAssertEqual(points.map { $0["threshold"] as? Double }, [1, 0.5])
        let outcome = try harness.run(arguments + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let header = try XCTUnwrap(outcome.stdout.split(separator: "\n").first { $0.hasPrefix("block size") })
        XCTAssertTrue(header.contains("c=1") && header.contains("c=0.5"), String(header))
    }

    func testKLAndEvalTakeTheRule() throws {
        let harness = try AttnHarness()
        let kl = try harness.json(["kl", "--selection", "relativeThreshold", "--threshold", "1", "--block-size", "2", text])
        XCTAssertEqual((kl["layers"] as? [Any])?.count, 2)
        let outcome = try harness.run(["eval", "--file", corpus, "--max-length", "128", "--no-history",
                                       "--setting", "relativeThreshold=1,block=8"] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertTrue(outcome.stdout.split(separator: "\n").contains { $0.hasPrefix("relativeThreshold 1.0 B8") }, outcome.stdout)
    }

    func testOutOfRangeValueIsOneLineNamingTheRange() throws {
        let harness = try AttnHarness()
        let outcome = try harness.run(["sweep", "--selection", "relativeThreshold", "--thresholds", "1,2000", text] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        XCTAssertEqual(outcome.stderrLines.count, 1, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("--thresholds item 2") && outcome.stderr.contains("(0, 1024]"), outcome.stderr)
    }
}
