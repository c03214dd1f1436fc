import Foundation
import XCTest

/// Issue 20's headline fixes on the real binaries (tiny-peaked: 2 layers × 4 heads): what the
/// sweep table and the report say when the dense fallback or the block size hides the rule.
final class CLISweepHonestyTests: XCTestCase {
    private let text = "The quick brown fox jumps over the lazy dog and runs far away from the farm"

    /// Item 3: at τ = 0.9 with B = 1 most rows would lose every key, so they stay dense and
    /// τ = 0.9 "prunes" less than τ = 0.3. The table shows fullyPrunedRows / (L·H·T) per point
    /// and flags (†) exactly the points where that share is above one half; the report shows
    /// the same share and rings those points.
    func testDenseFallbackShareIsShownAndFlaggedInTableAndReport() throws {
        let harness = try AttnHarness()
        let arguments = ["sweep", "--thresholds", "0.9,0.3,0.01", "--block-sizes", "1", text]
        let result = try harness.json(arguments)
        let tokens = try XCTUnwrap(result["numTokens"] as? Int)
        let points = try XCTUnwrap(result["points"] as? [[String: Any]])
        let shares = try points.map { Double(try XCTUnwrap($0["fullyPrunedRows"] as? Int)) / Double(2 * 4 * tokens) }
        XCTAssertGreaterThan(shares[0], 0.5, "the fixture must make the fallback dominate at τ = 0.9")
        XCTAssertLessThan(shares[2], 0.5)

        let outcome = try harness.run(arguments + harness.modelArguments + ["--force"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        let tableStart = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("rows kept dense (fallback): share of the L·H·T") }, outcome.stdout)
        let row = try XCTUnwrap(lines[tableStart...].first { $0.hasPrefix("1 ") }).split(separator: " ", omittingEmptySubsequences: true)
        let expected = shares.map { String(format: "%.1f%%", 100 * $0) }
        XCTAssertEqual(row.filter { $0.hasSuffix("%") }.map(String.init), expected, outcome.stdout)
        XCTAssertEqual(row.filter { $0 == "†" }.count, shares.filter { $0 > 0.5 }.count, outcome.stdout)
        let klRow = try XCTUnwrap(lines.first { $0.hasPrefix("1 ") }, outcome.stdout)
        XCTAssertEqual(klRow.components(separatedBy: "†").count - 1, shares.filter { $0 > 0.5 }.count, klRow)
        XCTAssertTrue(outcome.stdout.contains("† most rows"), outcome.stdout)
        XCTAssertFalse(outcome.stdout.contains("e+"), "no e-notation counts")

        let report = try harness.run(["report", try XCTUnwrap(result["runId"] as? String), "-o", "r.html"] + harness.modelArguments)
        XCTAssertEqual(report.status, 0, report.stderr)
        let page = try String(contentsOfFile: harness.folder.appendingPathComponent("r.html").path, encoding: .utf8)
        XCTAssertTrue(page.contains("rows kept dense (fraction)"), "the sweep table has the share column")
        XCTAssertEqual(page.components(separatedBy: "class=\"fallback-dominated\"").count - 1, shares.filter { $0 > 0.5 }.count,
                       "one ring per dominated point in the overview figure")
        XCTAssertTrue(page.contains("most (layer, head, query) rows were kept dense"), "the table's note")
    }

    /// Item 4: the README's main job on a 9-token sentence (default block sizes 16, 32, both ≥
    /// the tokens) warns once per block size that is too large, and the budget recommends no
    /// point for them (in the table and in the daemon's JSON) instead of one that prunes 0%.
    func testBlockSizesAtLeastTheTokenCountWarnAndAreNeverRecommended() throws {
        let harness = try AttnHarness()
        let sentence = "The quick brown fox jumps over the lazy dog"
        let arguments = ["sweep", "--block-sizes", "4,32", "--max-attention-kl", "10", sentence]
        let result = try harness.json(arguments)
        let tokens = try XCTUnwrap(result["numTokens"] as? Int)
        XCTAssertLessThan(tokens, 32)
        let recommendation = try XCTUnwrap(result["recommendation"] as? [[String: Any]])
        XCTAssertEqual(recommendation.map { $0["blockSize"] as? Int }, [4, 32])
        XCTAssertTrue(recommendation[1]["point"] is NSNull, "B=32 prunes nothing: no recommendation")
        XCTAssertTrue((recommendation[1]["reason"] as? String)?.contains("prunes anything") == true)
        let four = try XCTUnwrap(recommendation[0]["point"] as? [String: Any])
        XCTAssertGreaterThan(try XCTUnwrap(four["prunedBlockFraction"] as? Double), 0)

        let outcome = try harness.run(arguments + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let warnings = outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("warning: block size") }
        XCTAssertEqual(warnings.count, 1, outcome.stdout)
        XCTAssertTrue(warnings[0].contains("32 ≥ \(tokens) tokens") && !warnings[0].contains("4,"), String(warnings[0]))
        XCTAssertTrue(outcome.stdout.contains("recommended for B=32: none"), outcome.stdout)

        let small = try harness.run(["sweep", "--block-sizes", "2,4", sentence] + harness.modelArguments)
        XCTAssertFalse(small.stdout.contains("warning:"), "no warning when every block size is below the token count")
    }
}
