import XCTest
@testable import RunReport

/// The whole HTML page and the standalone SVGs: structure, escaping, self-containment, input errors.
final class HTMLReportTests: XCTestCase {
    static let allKinds = [RunFixtures.sweep(endToEnd: true), RunFixtures.perPosition(pieces: PerPositionFigureTests.hostile),
                           RunFixtures.profile(), RunFixtures.forward()]

    func testReportParsesAsXMLAndHoldsEveryFigure() throws {
        let html = try RunReport.html(runs: Self.allKinds, options: RunFixtures.options(for: Self.allKinds))
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        let root = try parseXML(html)
        let figures = root.all("figure")
        // Overview + (per-layer, honest-vs-notebook) + per-position + profile; forward has none.
        XCTAssertEqual(figures.map { $0.attributes["data-name"] ?? "" }, [
            "sweep-divergence.svg", "layers-11111111.svg", "honest-vs-notebook-11111111.svg",
            "per-position-22222222.svg", "profile-33333333.svg",
        ])
        for figure in figures {
            XCTAssertEqual(figure.all("svg").count, 1)
            XCTAssertFalse(figure.all("figcaption").first?.allText.isEmpty ?? true)
        }
        XCTAssertEqual(root.all("section").filter { $0.classes.contains("run") }.count, 4)
        XCTAssertTrue(root.all("p").contains { $0.allText.contains("No figure for this method (forward)") })
        XCTAssertFalse(root.all("style").isEmpty, "inline CSS")
    }

    func testNoScriptsAndNoNetworkReferences() throws {
        let html = try RunReport.html(runs: Self.allKinds, options: RunFixtures.options(for: Self.allKinds))
        XCTAssertNil(html.range(of: "<script", options: .caseInsensitive))
        XCTAssertNil(html.range(of: "http://", options: .caseInsensitive))
        XCTAssertNil(html.range(of: "https://", options: .caseInsensitive))
        XCTAssertNil(html.range(of: "url(", options: .caseInsensitive))
        XCTAssertNil(html.range(of: "@import", options: .caseInsensitive))
        let root = try parseXML(html)
        for element in root.descendants {
            XCTAssertNil(element.attributes["src"], "\(element.name) has src")
            XCTAssertNil(element.attributes["href"], "\(element.name) has href")
            XCTAssertFalse(element.attributes.keys.contains { $0.lowercased().hasPrefix("on") }, "event handler on \(element.name)")
        }
    }

    func testStandaloneSVGsParseAndReferenceNothing() throws {
        let figures = try RunReport.svgFigures(runs: Self.allKinds, options: RunFixtures.options(for: Self.allKinds))
        XCTAssertEqual(figures.count, 5)
        XCTAssertEqual(Set(figures.map(\.name)).count, 5, "names are unique")
        for (name, svg) in figures {
            XCTAssertTrue(svg.hasPrefix("<?xml"), name)
            let root = try parseXML(svg)
            let top = try XCTUnwrap(root.children.first, name)
            XCTAssertEqual(top.name, "svg", name)
            XCTAssertEqual(top.attributes["xmlns"], "http://www.w3.org/2000/svg", name)
            XCTAssertNil(svg.range(of: "<script", options: .caseInsensitive), name)
            for element in [top] + top.descendants {
                for (key, value) in element.attributes where key != "xmlns" {
                    XCTAssertFalse(value.contains("http"), "\(name): \(element.name) \(key)=\(value)")
                }
            }
            XCTAssertFalse(top.all("title").isEmpty, name)
            XCTAssertFalse(top.all("desc").isEmpty, name)
        }
    }

    func testRunDetailsTable() throws {
        let html = try RunReport.html(runs: [RunFixtures.sweep()], options: ReportOptions())
        let root = try parseXML(html)
        let table = try XCTUnwrap(root.all("table").first { $0.classes.contains("params") })
        var rows: [String: String] = [:]
        for tr in table.all("tr") {
            let cells = tr.children.map(\.allText)
            if cells.count == 2 { rows[cells[0]] = cells[1] }
        }
        XCTAssertEqual(rows["model fingerprint"], "f00dfeedcafe0123456789abcdef0123456789abcdef0123456789abcdef0123")
        XCTAssertEqual(rows["date (UTC)"], "2024-05-01T12:34:56Z")  // 1714566896789 ms, checked with date -u
        XCTAssertEqual(rows["runtime"], "1.23 s")
        XCTAssertEqual(rows["tokens"], "64")
        XCTAssertEqual(rows["params.blockSizes"], "[16,32]")
        XCTAssertEqual(rows["params.text"], "The quick brown fox & friends")
        XCTAssertTrue(html.contains("The quick brown fox &amp; friends"))
    }

    func testUserTextIsEscapedEverywhere() throws {
        var run = RunFixtures.sweep(id: "<script>alert(1)</script>")
        run["params"] = ["text": "<script>alert(1)</script> & co", "<b>key": "x"]
        var options = ReportOptions()
        options.title = "Report <script>alert(2)</script> & more"
        let html = try RunReport.html(runs: [run], options: options)
        XCTAssertNil(html.range(of: "<script", options: .caseInsensitive))
        XCTAssertTrue(html.contains("<title>Report &lt;script&gt;alert(2)&lt;/script&gt; &amp; more</title>"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"))
        XCTAssertNoThrow(try parseXML(html))
    }

    /// A result that does not have its method's protocol shape is not drawn: its section says
    /// which field, and the other runs still render. A failed run has no result.
    func testResultsOutsideTheProtocolAndFailedRunsStillRender() throws {
        var bare = RunFixtures.sweep(id: "55555555-0000-4000-8000-000000000005")
        var result = try XCTUnwrap(bare["result"] as? [String: Any])
        var points = try XCTUnwrap(result["points"] as? [[String: Any]])
        points[1]["blockSize"] = nil
        result["points"] = points
        bare["result"] = result
        var failed = RunFixtures.perPosition(id: "66666666-0000-4000-8000-000000000006", pieces: nil, positions: 3)
        failed["status"] = "failed"
        failed["result"] = NSNull()
        failed["error"] = ["code": -32603, "message": "boom"]
        let html = try RunReport.html(runs: [bare, failed, RunFixtures.profile()], options: ReportOptions())
        let root = try parseXML(html)
        XCTAssertTrue(html.contains("does not have the pruneSweep shape of the protocol (result.points[1].blockSize is missing)"), html)
        XCTAssertTrue(html.contains("This run has no result (status: failed)"))
        XCTAssertNil(root.all("figure").first { $0.attributes["data-name"] == "sweep-divergence.svg" }, "the unreadable sweep is not plotted")
        XCTAssertNotNil(root.all("figure").first { $0.attributes["data-name"] == "profile-33333333.svg" })
    }

    func testInputThatIsNotARunIsATypedError() throws {
        XCTAssertThrowsError(try RunReport.html(runs: [] as [[String: Any]], options: ReportOptions())) {
            XCTAssertEqual($0 as? ReportError, .noRuns)
        }
        XCTAssertThrowsError(try RunReport.html(runs: [["runId": "x", "points": []]], options: ReportOptions())) { error in
            guard case .notARun(0, "method", let hint)? = error as? ReportError else { return XCTFail("\(error)") }
            XCTAssertTrue(hint.contains("runs/get"), hint)
        }
        XCTAssertThrowsError(try RunReport.html(runs: [RunFixtures.forward(), ["method": "forward"]], options: ReportOptions())) { error in
            guard case .notARun(1, "id", _)? = error as? ReportError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try RunReport.html(runsJSON: Data("not json".utf8))) {
            guard case .invalidJSON? = $0 as? ReportError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try RunReport.html(runsJSON: Data("[1]".utf8))) {
            guard case .notARun(0, _, _)? = $0 as? ReportError else { return XCTFail("\($0)") }
        }
    }

    func testJSONInputOneRunOrAnArray() throws {
        let one = try JSONSerialization.data(withJSONObject: RunFixtures.profile())
        let many = try JSONSerialization.data(withJSONObject: [RunFixtures.profile(), RunFixtures.forward()])
        XCTAssertEqual(try RunReport.svgFigures(runsJSON: one).map(\.name), ["profile-33333333.svg"])
        XCTAssertEqual(try parseXML(try RunReport.html(runsJSON: many)).all("section").filter { $0.classes.contains("run") }.count, 2)
    }
}
