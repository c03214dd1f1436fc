import Foundation
import XCTest

/// Issue 20 item 5 on the real binaries: with `COLUMNS` set every line fits, tables wrap
/// instead of overflowing, and `--csv` prints one table of raw numbers.
final class CLITableWidthTests: XCTestCase {
    private let text = "The quick brown fox jumps over the lazy dog and runs far away from the farm, over the hills and through the woods to grandmother's house we go."

    private func widest(_ output: String) -> (width: Int, line: String) {
        output.split(separator: "\n").map { (String($0).count, String($0)) }.max { $0.0 < $1.0 } ?? (0, "")
    }

    func testEveryCommandFitsCOLUMNS() throws {
        let harness = try AttnHarness()
        let commands: [[String]] = [
            ["kl", "--block-size", "2", "--threshold", "0.1", "--segment-size", "4", text],
            ["profile", "--block-size", "2", "--show-mask", "1,1", text],
            ["forward", text],
            ["sweep", "--thresholds", "0.01,0.005,0.002,0.001,0.0005,0.0002", "--block-sizes", "2,4,128", "--end-to-end",
             "--max-attention-kl", "0.01", text],
            ["sweep", "--query-block-size", "4", "--estimator", "meanPool", "--selection", "coverage",
             "--thresholds", "0.5,0.8,0.9,0.95,0.99,0.999", "--block-sizes", "2,4", "--end-to-end", text],
            ["tokenize", text],
        ]
        for columns in [100, 60] {
            harness.environment["COLUMNS"] = String(columns)
            for command in commands {
                let outcome = try harness.run(command + harness.modelArguments)
                XCTAssertEqual(outcome.status, 0, outcome.stderr)
                let (width, line) = widest(outcome.stdout)
                XCTAssertLessThanOrEqual(width, columns, "attn \(command[0]) at COLUMNS=\(columns): \(line)")
            }
            for command in [["runs", "list"], ["runs", "show", try latestRun(harness)]] {
                let outcome = try harness.run(command + harness.modelArguments)
                XCTAssertEqual(outcome.status, 0, outcome.stderr)
                let (width, line) = widest(outcome.stdout)
                XCTAssertLessThanOrEqual(width, columns, "attn \(command.joined(separator: " ")) at COLUMNS=\(columns): \(line)")
            }
        }
        // Without COLUMNS and not on a terminal (a pipe), tables are printed whole.
        harness.environment["COLUMNS"] = nil
        let piped = try harness.run(["kl", "--block-size", "2", "--threshold", "0.1", "--segment-size", "4", text] + harness.modelArguments)
        XCTAssertGreaterThan(widest(piped.stdout).width, 100, "a pipe gets the whole segment table on one line")
    }

    private func latestRun(_ harness: AttnHarness) throws -> String {
        let outcome = try harness.run(["runs", "list", "--json"] + harness.modelArguments)
        let list = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        return try XCTUnwrap((list["runs"] as? [[String: Any]])?.first?["id"] as? String)
    }

    /// `--csv`: a header and one row per sweep point whose numbers are the JSON's, unformatted.
    func testSweepCSVHasOneRowPerPointWithTheDaemonsNumbers() throws {
        let harness = try AttnHarness()
        let arguments = ["sweep", "--thresholds", "0.9,0.01", "--block-sizes", "1,4", text]
        let points = try XCTUnwrap(try harness.json(arguments)["points"] as? [[String: Any]])
        let outcome = try harness.run(arguments + harness.modelArguments + ["--csv"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let lines = outcome.stdout.trimmingCharacters(in: .newlines).components(separatedBy: "\r\n")
        XCTAssertEqual(lines.count, points.count + 1, outcome.stdout)
        let header = lines[0].split(separator: ",").map(String.init)
        XCTAssertEqual(Array(header.prefix(4)), ["selection", "blockSize", "threshold", "prunedBlockFraction"])
        let klColumn = try XCTUnwrap(header.firstIndex(of: "attentionKL"))
        let shareColumn = try XCTUnwrap(header.firstIndex(of: "denseFallbackShare"))
        for (line, point) in zip(lines.dropFirst(), points) {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            // JSONSerialization (the test's parser) may be 1 ulp off the daemon's shortest-form numbers.
            let kl = try XCTUnwrap(point["attentionKL"] as? Double)
            XCTAssertEqual(try XCTUnwrap(Double(cells[klColumn])), kl, accuracy: 1e-15 * max(kl, 1e-300))
            XCTAssertEqual(Int(cells[1]), point["blockSize"] as? Int)
            let tokens = Double(try XCTUnwrap(try harness.json(["tokenize", text])["tokens"] as? [Int]).count)
            XCTAssertEqual(try XCTUnwrap(Double(cells[shareColumn])), Double(try XCTUnwrap(point["fullyPrunedRows"] as? Int)) / (8 * tokens),
                           accuracy: 1e-12)
        }
        let both = try harness.run(arguments + harness.modelArguments + ["--csv", "--json"])
        XCTAssertEqual(both.status, 2, both.stderr)
        XCTAssertTrue(both.stderr.contains("--json or --csv"), both.stderr)
    }
}
