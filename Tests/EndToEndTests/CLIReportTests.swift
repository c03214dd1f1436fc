import Foundation
import XCTest

/// `attn report` as a new user runs it: after a sweep, with no ids and no flags, it writes
/// report.html (offline: inline SVG, no scripts); `--format svg` writes one file per figure.
final class CLIReportTests: XCTestCase {
    func testReportOfTheNewestRunWithoutFlagsAndAsSVGFigures() throws {
        let harness = try AttnHarness()
        let sweep = try harness.json(["sweep", "--thresholds", "0.1,0.05", "--block-sizes", "2,4",
                                      "The quick brown fox jumps over the lazy dog"])
        let id = try XCTUnwrap(sweep["runId"] as? String)

        let html = try harness.run(["report"] + harness.modelArguments)
        XCTAssertEqual(html.status, 0, html.stderr)
        let path = html.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(path, harness.folder.appendingPathComponent("report.html").path, "report.html in the working folder")
        let page = try String(contentsOfFile: path, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertTrue(page.contains(id), "the newest run is the one reported")
        XCTAssertTrue(page.contains("<svg"))
        XCTAssertFalse(page.contains("<script"))
        XCTAssertFalse(page.contains("https://") || page.contains("http://www"))

        let folder = harness.folder.appendingPathComponent("figures").path
        let svg = try harness.run(["report", id, "--format", "svg", "-o", folder] + harness.modelArguments)
        XCTAssertEqual(svg.status, 0, svg.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".svg") }
        XCTAssertFalse(files.isEmpty)
        XCTAssertEqual(svg.stdout.split(separator: "\n").count, files.count)

        let bad = try harness.run(["report", "--format", "pdf"] + harness.modelArguments)
        XCTAssertEqual(bad.status, 2, "a usage error")
    }
}
