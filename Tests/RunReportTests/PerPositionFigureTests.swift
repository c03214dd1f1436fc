import XCTest
@testable import RunReport

/// Figure 3: the (layers × positions) heatmap with token text.
final class PerPositionFigureTests: XCTestCase {
    static let hostile = ["<script>alert(1)</script>", " & co", "\"q\"", "\n", "ok"]

    private func render(_ run: [String: Any]) throws -> (svg: String, root: XMLElement) {
        let figures = try RunReport.svgFigures(runs: [run], options: RunFixtures.options(for: [run]))
        let svg = try XCTUnwrap(figures.first { $0.name.hasPrefix("per-position-") }).svg
        return (svg, try parseXML(svg))
    }

    func testHeatmapHasOneCellPerLayerAndPosition() throws {
        let (_, root) = try render(RunFixtures.perPosition(layers: 2, pieces: Self.hostile))
        let cells = root.all("rect").filter { $0.classes.contains("cell") }
        XCTAssertEqual(cells.count, 2 * 5)
        // value(l, t) = (l + 1) t / 100: the first cell is 0 (darkest end), the last 0.08 = the maximum (brightest end).
        XCTAssertEqual(cells.first?.attributes["fill"], "#440154")
        XCTAssertEqual(cells.last?.attributes["fill"], "#fde725")
        let rowLabels = root.all(withClass: "row-label").map(\.allText)
        XCTAssertEqual(rowLabels, ["0", "1"])
        let colorBarTitle = root.all(withClass: "axis-label").map(\.allText)
        XCTAssertTrue(colorBarTitle.contains("attentionKL (nats)"), "\(colorBarTitle)")
    }

    func testTokenTextIsEscaped() throws {
        let (svg, root) = try render(RunFixtures.perPosition(layers: 1, pieces: Self.hostile))
        XCTAssertNil(svg.range(of: "<script", options: .caseInsensitive), "raw <script in the SVG")
        XCTAssertTrue(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the full token is escaped in its tooltip")
        XCTAssertTrue(svg.contains("␣&amp;␣co"))
        let labels = root.all(withClass: "column-label").map(\.allText)
        XCTAssertEqual(labels, ["<script>a…", "␣&␣co", "\"q\"", "↵", "ok"], "all five tokens labelled, made visible, parsed back")
    }

    func testLabelsAreThinnedWhenThereAreManyPositions() throws {
        let pieces = (0..<300).map { " t\($0)" }
        let (_, root) = try render(RunFixtures.perPosition(layers: 3, pieces: pieces))
        XCTAssertEqual(root.all("rect").filter { $0.classes.contains("cell") }.count, 3 * 300)
        let labels = root.all(withClass: "column-label")
        XCTAssertGreaterThan(labels.count, 10)
        XCTAssertLessThan(labels.count, 300)
        XCTAssertEqual(labels.first?.allText, "0 ␣t0", "thinned labels carry the position index")
        let xs = labels.compactMap { $0.number("x") }
        for (a, b) in zip(xs, xs.dropFirst()) { XCTAssertGreaterThanOrEqual(b - a, 21.99, "labels at least 22 px apart") }
        XCTAssertTrue(root.all("desc").first?.allText.contains("position is labelled") ?? false)
    }

    /// The essay of issue 20: 654 positions on a 1000 px axis fit 45 labels at 22 px; the step
    /// 15 rounds up to 20, so 33 labels at positions 0, 20, …, 640 (was 82 at every 8th).
    func testAnEssayGetsARoundStepAndFewLabels() throws {
        let pieces = (0..<654).map { " w\($0)" }
        let (_, root) = try render(RunFixtures.perPosition(layers: 2, pieces: pieces))
        let labels = root.all(withClass: "column-label").map(\.allText)
        XCTAssertEqual(labels.count, 33)
        XCTAssertEqual(labels.prefix(3), ["0 ␣w0", "20 ␣w20", "40 ␣w40"])
    }

    func testWithoutTokenTextPositionsAreLabelledByIndex() throws {
        let (_, root) = try render(RunFixtures.perPosition(layers: 2, pieces: nil, positions: 4))
        XCTAssertEqual(root.all(withClass: "column-label").map(\.allText), ["0", "1", "2", "3"])
        XCTAssertTrue(root.all("desc").first?.allText.contains("labelled by index") ?? false)
    }
}
