import XCTest
@testable import RunReport

/// Figure 5: this tool's metrics beside the notebook's.
final class HonestVsNotebookFigureTests: XCTestCase {
    func testEachPointHasBothPairsOfBarsAndTheExplanation() throws {
        let figures = try RunReport.svgFigures(runs: [RunFixtures.sweep()], options: ReportOptions())
        let root = try parseXML(try XCTUnwrap(figures.first { $0.name.hasPrefix("honest-vs-notebook-") }).svg)
        let bars = root.all("rect")
        func count(_ a: String, _ b: String) -> Int { bars.filter { $0.classes.isSuperset(of: [a, b]) }.count }
        XCTAssertEqual(count("honest", "fraction"), 6)
        XCTAssertEqual(count("notebook", "fraction"), 6)
        XCTAssertEqual(count("honest", "kl"), 6)
        XCTAssertEqual(count("notebook", "kl"), 6)

        // Fraction panel is 0…1: a bar's height over the panel height is its value.
        // First point: prunedBlockFraction 0.4 beside seedPrunedFraction 0.7.
        let honest = try XCTUnwrap(bars.first { $0.classes.isSuperset(of: ["honest", "fraction"]) }?.number("height"))
        let notebook = try XCTUnwrap(bars.first { $0.classes.isSuperset(of: ["notebook", "fraction"]) }?.number("height"))
        XCTAssertEqual(notebook / honest, 0.7 / 0.4, accuracy: 0.01)

        let caption = root.all("desc").first?.allText ?? ""
        XCTAssertTrue(caption.contains("causal mask"), caption)
        XCTAssertTrue(caption.contains("ε = 1e-12"), caption)
        XCTAssertTrue(root.all(withClass: "axis-label").contains { $0.allText.contains("nats") })
    }
}

extension HonestVsNotebookFigureTests {
    /// On the log panel every positive KL gets a bar of positive height, the smallest too
    /// (1e-4 for B=32, threshold 5e-4): the floor sits a decade below it.
    func testSmallestKLStillHasAVisibleBar() throws {
        let figures = try RunReport.svgFigures(runs: [RunFixtures.sweep()], options: ReportOptions())
        let root = try parseXML(try XCTUnwrap(figures.first { $0.name.hasPrefix("honest-vs-notebook-") }).svg)
        let heights = root.all("rect").filter { $0.classes.isSuperset(of: ["honest", "kl"]) }.compactMap { $0.number("height") }
        XCTAssertEqual(heights.count, 6)
        XCTAssertTrue(heights.allSatisfy { $0 > 10 }, "\(heights)")
        // Decades: 1e-4 is one decade above the floor, 1e-2 three; heights scale the same way.
        XCTAssertEqual(heights[5] / heights[3], 3, accuracy: 0.01)
    }
}
