import XCTest
import RunReport

/// Renders a report in headless Chromium: the page must load with no console messages and
/// the screenshot must show the figures (not a blank page). Skipped, with the reason
/// printed, only when no Chromium is installed (`.ci/run` installs Debian's `chromium`).
///
/// Set `RUNREPORT_KEEP_RENDER=1` to keep the screenshots (their paths are printed).
final class BrowserRenderTests: XCTestCase {
    private var workDirectory: URL!
    private var keep: Bool { ProcessInfo.processInfo.environment["RUNREPORT_KEEP_RENDER"] == "1" }

    override func setUpWithError() throws {
        workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("runreport-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if keep { print("BrowserRenderTests: kept renders in \(workDirectory.path)") } else {
            try? FileManager.default.removeItem(at: workDirectory)
        }
    }

    private func chromium() throws -> HeadlessChromium {
        guard let browser = HeadlessChromium.find() else {
            let message = "SKIPPED: no headless Chromium found (looked for \(HeadlessChromium.candidateNames.joined(separator: ", ")) on PATH and $CHROMIUM); install Debian's `chromium` package (.ci/run does) to run the browser test"
            print("BrowserRenderTests: \(message)")
            throw XCTSkip(message)
        }
        return browser
    }

    private func write(_ html: String, _ name: String) throws -> URL {
        let url = workDirectory.appendingPathComponent(name)
        try html.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func sampleReport() throws -> String {
        let pieces = (0..<64).map { i -> String in
            i == 5 ? "<script>alert(1)</script>" : i == 9 ? " &" : [" the", " cat", " sat", " on", " a", " mat", ",", "\n"][i % 8]
        }
        var options = ReportOptions()
        options.title = "Browser check <script>alert(1)</script>"
        options.profileThreshold = 0.2
        let runs = [
            RunFixtures.sweep(id: "aaaaaaaa-0000-4000-8000-000000000000", endToEnd: true, zeroPoint: true),
            RunFixtures.sweep(id: "bbbbbbbb-0000-4000-8000-000000000000"),
            RunFixtures.perPosition(layers: 6, pieces: pieces),
            RunFixtures.profile(),
            RunFixtures.forward(),
        ]
        return try RunReport.html(runs: runs, options: RunFixtures.options(for: runs, base: options))
    }

    func testReportLoadsWithoutConsoleMessagesAndIsNotBlank() throws {
        let browser = try chromium()
        let page = try write(try Self.sampleReport(), "report.html")

        let dom = try browser.run(["--dump-dom"], page: page, workDirectory: workDirectory)
        XCTAssertEqual(dom.status, 0, dom.stderr)
        XCTAssertTrue(dom.stdout.contains("Browser check &lt;script&gt;"), "the page loaded and the title is escaped")
        XCTAssertEqual(dom.stdout.components(separatedBy: "<figure").count - 1, 7, "overview + 2 per sweep run (2 runs) + per-position + profile")
        XCTAssertEqual(dom.stdout.components(separatedBy: "<svg").count - 1, 7)
        XCTAssertNil(dom.stdout.range(of: "<script", options: .caseInsensitive), "no script element in the live DOM")
        XCTAssertEqual(dom.consoleLines, [], "console messages while loading the report")

        let (image, shot, png) = try browser.screenshot(page, width: 1200, height: 2000, workDirectory: workDirectory)
        if keep { print("BrowserRenderTests: screenshot \(png.path)") }
        XCTAssertEqual(shot.consoleLines, [])
        XCTAssertEqual(image.width, 1200)
        XCTAssertEqual(image.height, 2000)
        let stats = image.colourStatistics()
        // Text, axes, markers and viridis cells: many colours, and a real share of non-white pixels.
        XCTAssertGreaterThan(stats.distinct, 64, "the screenshot has too few colours to hold the figures")
        XCTAssertGreaterThan(stats.nonBackgroundShare, 0.03, "the screenshot is (nearly) blank")
    }

    /// The checks above can fail: a blank page is reported blank, and a console message is caught.
    func testTheChecksDetectABlankPageAndConsoleMessages() throws {
        let browser = try chromium()
        let blank = try write("<!DOCTYPE html><html><head><meta charset=\"utf-8\"/></head><body></body></html>", "blank.html")
        let (image, _, _) = try browser.screenshot(blank, width: 400, height: 300, workDirectory: workDirectory)
        let stats = image.colourStatistics()
        XCTAssertEqual(stats.distinct, 1)
        XCTAssertEqual(stats.nonBackgroundShare, 0)

        let noisy = try write("<!DOCTYPE html><html><body><p>x</p><script>console.error('probe-error')</script></body></html>", "noisy.html")
        let output = try browser.run(["--dump-dom"], page: noisy, workDirectory: workDirectory)
        XCTAssertTrue(output.consoleLines.contains { $0.contains("probe-error") }, "console line not seen in: \(output.stderr.suffix(2000))")
    }
}
