import Foundation
import XCTest

/// `attn report` as a new user runs it (issue 20 item 8): with no ids and no flags it reports
/// the newest run that has figures and writes into the reports folder, never the working folder;
/// `--format svg` writes one file per figure.
final class CLIReportTests: XCTestCase {
    private let sentence = "The quick brown fox jumps over the lazy dog"

    func testReportOfTheNewestRunWithFiguresWithoutFlagsAndAsSVGFigures() throws {
        let harness = try AttnHarness()
        let sweep = try harness.json(["sweep", "--thresholds", "0.1,0.05", "--block-sizes", "2,4", sentence])
        let id = try XCTUnwrap(sweep["runId"] as? String)
        let forward = try harness.json(["forward", sentence])   // newer, but it has no figure
        let forwardID = try XCTUnwrap(forward["runId"] as? String)

        let html = try harness.run(["report"] + harness.modelArguments)
        XCTAssertEqual(html.status, 0, html.stderr)
        let path = html.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let reports = harness.folder.appendingPathComponent("data/selectattention/reports")
        XCTAssertEqual(path, reports.appendingPathComponent("report-\(id.prefix(8)).html").path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.folder.appendingPathComponent("report.html").path),
                       "nothing is written into the working folder")
        let page = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(page.contains(id), "the newest sweep is the one reported")
        XCTAssertFalse(page.contains(forwardID), "not the newer forward run, which has no figure")
        XCTAssertTrue(page.contains("<svg"))
        XCTAssertFalse(page.contains("<script"))
        XCTAssertFalse(page.contains("https://") || page.contains("http://www"))
        XCTAssertTrue(page.contains("<div class=\"figure-body\" style=\"max-width: "), "figures scale to the column")

        let folder = harness.folder.appendingPathComponent("figures").path
        let svg = try harness.run(["report", id, "--format", "svg", "-o", folder] + harness.modelArguments)
        XCTAssertEqual(svg.status, 0, svg.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".svg") }
        XCTAssertFalse(files.isEmpty)
        XCTAssertEqual(svg.stdout.split(separator: "\n").count, files.count)

        let bad = try harness.run(["report", "--format", "pdf"] + harness.modelArguments)
        XCTAssertEqual(bad.status, 2, "a usage error")
    }

    private func report(_ harness: AttnHarness, _ id: String) throws -> String {
        let path = harness.folder.appendingPathComponent("r-\(id.prefix(8)).html").path
        let outcome = try harness.run(["report", id, "-o", path] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    /// The profile summary is a table of named metrics (was raw JSON cut at 330 characters); the
    /// per-position heatmap is labelled with the stored text's tokens (was "the run stored no
    /// token text"); the end-to-end numbers are their own table, in a box that scrolls sideways.
    func testSummaryTokensAndEndToEndTable() throws {
        let harness = try AttnHarness()
        let profile = try report(harness, try XCTUnwrap(try harness.json(["profile", sentence])["runId"] as? String))
        XCTAssertTrue(profile.contains("<th scope=\"row\">entropy (nats)</th>"), "summary rows name their metric and unit")
        XCTAssertFalse(profile.contains("{&quot;") || profile.contains("{\"entrySparsity"), "no raw JSON")

        let kl = try report(harness, try XCTUnwrap(try harness.json(["kl", "--block-size", "2", sentence])["runId"] as? String))
        let first = try XCTUnwrap((try harness.json(["tokenize", sentence])["pieces"] as? [String])?.first)
        XCTAssertTrue(kl.contains(">\(first)</text>") || kl.contains(">0 \(first)</text>"),
                      "the first token's text (\(first)) under the axis")
        XCTAssertFalse(kl.contains("labelled by index"))

        let e2e = try report(harness, try XCTUnwrap(try harness.json(["sweep", "--block-sizes", "2", "--end-to-end", sentence])["runId"] as? String))
        XCTAssertTrue(e2e.contains("<div class=\"table-scroll\"><table class=\"numbers end-to-end\">"), "end to end in its own scrolling table")
    }

    /// 41 thresholds × 2 block sizes = 82 points: the honest-vs-notebook figure labels at most
    /// one point per 24 px of its (at most 1000 px) axis and says how many are labelled.
    func testManyPointsAreThinnedUnderTheAxis() throws {
        let harness = try AttnHarness()
        let thresholds = (1...41).map { String(format: "%.4f", Double($0) / 100) }.joined(separator: ",")
        let id = try XCTUnwrap(try harness.json(["sweep", "--thresholds", thresholds, "--block-sizes", "2,4", sentence])["runId"] as? String)
        let folder = harness.folder.appendingPathComponent("many").path
        let outcome = try harness.run(["report", id, "--format", "svg", "-o", folder] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let svg = try String(contentsOfFile: folder + "/honest-vs-notebook-\(id.prefix(8)).svg", encoding: .utf8)
        let labels = svg.components(separatedBy: "class=\"tick-label x\"").count - 1
        XCTAssertLessThanOrEqual(labels, 2 * (1000 / 24 + 1), "two panels, each thinned")
        XCTAssertGreaterThan(labels, 0)
        XCTAssertTrue(svg.contains("of the 82 points are labelled"), "the caption says labels were left out")
    }
}
