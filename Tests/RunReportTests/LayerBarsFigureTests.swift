import XCTest
@testable import RunReport

/// Figure 2: per-layer bars at one sweep point.
final class LayerBarsFigureTests: XCTestCase {
    private func figure(_ options: ReportOptions) throws -> XMLElement {
        let figures = try RunReport.svgFigures(runs: [RunFixtures.sweep()], options: options)
        return try parseXML(try XCTUnwrap(figures.first { $0.name.hasPrefix("layers-") }).svg)
    }

    private func barHeights(_ root: XMLElement) -> [Double] {
        root.all("rect").filter { $0.classes.contains("attention-kl") }.compactMap { $0.number("height") }
    }

    func testDefaultIsTheSparsestPoint() throws {
        let root = try figure(ReportOptions())
        // Sparsest point: B=16, threshold 0.01, per-layer attentionKL [0.05, 0.2, 0.1].
        let heights = barHeights(root)
        XCTAssertEqual(heights.count, 3)
        XCTAssertEqual(heights[1] / heights[0], 4, accuracy: 0.01)
        XCTAssertEqual(heights[2] / heights[0], 2, accuracy: 0.01)
        let caption = root.all("desc").first?.allText ?? ""
        XCTAssertTrue(caption.contains("B=16, τ=0.01"), caption)
        XCTAssertTrue(caption.contains("sparsest"), caption)
        let axisLabels = root.all(withClass: "axis-label").map(\.allText)
        XCTAssertTrue(axisLabels.contains("attentionKL (nats)"), "\(axisLabels)")
        XCTAssertTrue(axisLabels.contains("layer"), "\(axisLabels)")
    }

    func testCallerChoosesThePointByBlockSizeAndThreshold() throws {
        var options = ReportOptions()
        options.pointSelection = (blockSize: 32, threshold: 0.002)
        let root = try figure(options)
        // B=32, threshold 0.002: per-layer attentionKL [0.001, 0.002, 0.003].
        let heights = barHeights(root)
        XCTAssertEqual(heights.count, 3)
        XCTAssertEqual(heights[1] / heights[0], 2, accuracy: 0.01)
        XCTAssertEqual(heights[2] / heights[0], 3, accuracy: 0.01)
        XCTAssertTrue(root.all("desc").first?.allText.contains("B=32, τ=0.002, the requested point") ?? false)
    }

    func testAPointNotInTheRunFallsBackToTheSparsestAndSaysSo() throws {
        var options = ReportOptions()
        options.pointSelection = (blockSize: 64, threshold: 0.002)
        let root = try figure(options)
        XCTAssertEqual(barHeights(root).count, 3)
        let caption = root.all("desc").first?.allText ?? ""
        XCTAssertTrue(caption.contains("B=16, τ=0.01"), caption)
        XCTAssertTrue(caption.contains("is not in this run"), caption)
    }
}
