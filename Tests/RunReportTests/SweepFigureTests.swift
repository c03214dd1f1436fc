import XCTest
@testable import RunReport

/// Figure 1: sparsity against divergence.
final class SweepFigureTests: XCTestCase {
    private func sweepFigure(_ runs: [[String: Any]]) throws -> XMLElement {
        let figures = try RunReport.svgFigures(runs: runs, options: ReportOptions())
        let svg = try XCTUnwrap(figures.first { $0.name == "sweep-divergence.svg" }, "no sweep figure").svg
        return try parseXML(svg)
    }

    private func panel(_ root: XMLElement, blockSize: Int) throws -> XMLElement {
        try XCTUnwrap(root.all("g").first { $0.classes.contains("panel") && $0.attributes["data-block-size"] == "\(blockSize)" })
    }

    func testOneAttentionMarkerPerSweepPoint() throws {
        let root = try sweepFigure([RunFixtures.sweep()])
        XCTAssertEqual(root.all(withClass: "attention-kl").filter { $0.name == "path" }.count, 6)
        XCTAssertEqual(try panel(root, blockSize: 16).all(withClass: "marker").count, 3)
        XCTAssertEqual(try panel(root, blockSize: 32).all(withClass: "marker").count, 3)
        XCTAssertTrue(root.all(withClass: "output-kl").filter { $0.name == "path" }.isEmpty, "no outputKL without endToEnd")
    }

    func testOutputKLMarkersOnlyForPointsWithEndToEnd() throws {
        // The fixture gives endToEnd numbers to the three B=16 points only.
        let root = try sweepFigure([RunFixtures.sweep(endToEnd: true)])
        let output = root.all(withClass: "output-kl").filter { $0.name == "path" }
        XCTAssertEqual(output.count, 3)
        XCTAssertTrue(output.allSatisfy { $0.attributes["fill"] == "#ffffff" }, "outputKL markers are hollow")
        XCTAssertEqual(try panel(root, blockSize: 16).all(withClass: "output-kl").filter { $0.name == "path" }.count, 3)
        XCTAssertTrue(root.all("desc").first?.allText.contains("outputKL") ?? false)
    }

    func testOverlaidRunsGetDistinctMarkersAndALegendEntryEach() throws {
        let a = RunFixtures.sweep(id: "aaaaaaaa-0000-4000-8000-000000000000")
        let b = RunFixtures.sweep(id: "bbbbbbbb-0000-4000-8000-000000000000")
        let root = try sweepFigure([a, b])
        let markers = root.all(withClass: "attention-kl").filter { $0.name == "path" }
        XCTAssertEqual(markers.count, 12)
        let shapes = Set(markers.compactMap { $0.attributes["data-shape"] })
        let colours = Set(markers.compactMap { $0.attributes["fill"] })
        XCTAssertEqual(shapes.count, 2, "one marker shape per run")
        XCTAssertEqual(colours.count, 2, "one colour per run")
        let legend = root.all(withClass: "legend-entry").map(\.allText)
        XCTAssertEqual(legend.count, 3, "two runs + the attentionKL key: \(legend)")
        XCTAssertTrue(legend.contains { $0.contains("aaaaaaaa") })
        XCTAssertTrue(legend.contains { $0.contains("bbbbbbbb") })
    }

    func testPointsAreLabelledWithTheirThreshold() throws {
        let root = try sweepFigure([RunFixtures.sweep()])
        let labels = try panel(root, blockSize: 32).all(withClass: "point-label").map(\.allText).sorted()
        XCTAssertEqual(labels, ["0.002", "0.01", "5e-4"])
    }

    func testAxesAreLabelledWithUnits() throws {
        let root = try sweepFigure([RunFixtures.sweep()])
        let axisLabels = try panel(root, blockSize: 16).all(withClass: "axis-label").map(\.allText)
        XCTAssertTrue(axisLabels.contains { $0.contains("nats") && $0.contains("log") }, "\(axisLabels)")
        XCTAssertTrue(axisLabels.contains { $0.contains("prunedBlockFraction") && $0.contains("fraction") }, "\(axisLabels)")
        XCTAssertFalse(try panel(root, blockSize: 16).all(withClass: "tick-label").filter { $0.classes.contains("x") }.isEmpty)
    }

    /// The data span 1e-4 … 1e-1 nats: the y axis must have decade ticks 10^-4 … 10^-1,
    /// equally spaced, and a marker of value 1e-2 must sit on the 10^-2 grid line.
    func testLogAxisHasEquallySpacedDecadeTicksAndMarkersSitOnThem() throws {
        let p16 = try panel(try sweepFigure([RunFixtures.sweep()]), blockSize: 16)
        let labels = p16.all(withClass: "log").sorted { ($0.number("y") ?? 0) > ($1.number("y") ?? 0) }
        XCTAssertEqual(labels.map { $0.allText }, ["10−4", "10−3", "10−2", "10−1"])
        let gridYs = p16.all("line").filter { $0.classes.contains("grid") && $0.attributes["y1"] == $0.attributes["y2"] }
            .compactMap { $0.number("y1") }.sorted(by: >)
        XCTAssertEqual(gridYs.count, 4)
        let gaps = zip(gridYs.dropFirst(), gridYs).map { $1 - $0 }
        for gap in gaps { XCTAssertEqual(gap, gaps[0], accuracy: 0.02, "decades equally spaced: \(gridYs)") }

        // B=16, threshold 0.002: prunedBlockFraction 0.6, attentionKL 1e-2.
        let markers = p16.all(withClass: "attention-kl").filter { $0.name == "path" }
        let label002 = try XCTUnwrap(p16.all(withClass: "point-label").first { $0.allText == "0.002" })
        let marker = try XCTUnwrap(markers.first { m in
            guard let t = m.translation, let lx = label002.number("x") else { return false }
            return abs(t.x + 6 - lx) < 0.02
        }).translation!
        XCTAssertEqual(marker.y, gridYs[2], accuracy: 0.02, "1e-2 on the 10^-2 line")

        // x: the vertical grid line labelled 0.6 carries the marker with fraction 0.6.
        let xTicks = p16.all(withClass: "tick-label").filter { $0.classes.contains("x") }
        let tick06 = try XCTUnwrap(xTicks.first { $0.allText == "0.6" }, "\(xTicks.map(\.allText))")
        XCTAssertEqual(marker.x, try XCTUnwrap(tick06.number("x")), accuracy: 0.02)
    }

    func testZeroDivergenceIsDrawnAtTheFloorAndTheCaptionSaysSo() throws {
        let root = try sweepFigure([RunFixtures.sweep(zeroPoint: true)])
        let p16 = try panel(root, blockSize: 16)
        let exponents = p16.all(withClass: "log").map(\.allText)
        XCTAssertEqual(exponents.first, "10−5", "floor one decade under the smallest positive value (1e-4)")
        let bottomGrid = p16.all("line").filter { $0.classes.contains("grid") && $0.attributes["y1"] == $0.attributes["y2"] }
            .compactMap { $0.number("y1") }.max()!
        let markers = p16.all(withClass: "attention-kl").filter { $0.name == "path" }.compactMap(\.translation)
        XCTAssertEqual(markers.count, 3, "the zero point still gets its marker")
        XCTAssertEqual(markers.map(\.y).max()!, bottomGrid, accuracy: 0.02)
        let caption = root.all("desc").first?.allText ?? ""
        XCTAssertTrue(caption.contains("1 value is below 1e-5 nats"), caption)
        XCTAssertTrue(caption.contains("floor"), caption)
        XCTAssertFalse(p16.all(withClass: "floor-note").isEmpty)
    }
}
