import XCTest
@testable import RunReport

/// Figure 4: per-head heatmaps of a profile run.
final class ProfileFigureTests: XCTestCase {
    private func heatmaps(_ options: ReportOptions) throws -> (root: XMLElement, byMetric: [String: [XMLElement]]) {
        let figures = try RunReport.svgFigures(runs: [RunFixtures.profile()], options: options)
        XCTAssertEqual(figures.map(\.name), ["profile-33333333.svg"])
        let root = try parseXML(figures[0].svg)
        var byMetric: [String: [XMLElement]] = [:]
        for g in root.all("g") where g.classes.contains("heatmap") {
            byMetric[g.attributes["data-metric"] ?? "?"] = g.all("rect").filter { $0.classes.contains("cell") }
        }
        return (root, byMetric)
    }

    private func luminances(_ cells: [XMLElement]) -> [Double] {
        cells.compactMap { $0.attributes["fill"].flatMap(ColorScale.luminance) }
    }

    func testThreeHeatmapsOfLayersByHeads() throws {
        let (_, maps) = try heatmaps(ReportOptions())
        XCTAssertEqual(Set(maps.keys), ["sinkMass", "entropy", "block"])
        for (metric, cells) in maps { XCTAssertEqual(cells.count, 3 * 4, metric) }
    }

    func testSinkMassBrightnessFollowsTheValues() throws {
        // sinkMass(l, h) = (4l + h) / 11 rises in row-major order, so luminance must too.
        let lum = luminances(try heatmaps(ReportOptions()).byMetric["sinkMass"] ?? [])
        XCTAssertEqual(lum.count, 12)
        for (a, b) in zip(lum, lum.dropFirst()) { XCTAssertLessThan(a, b) }
    }

    func testBlockSparsityUsesTheChosenThreshold() throws {
        var options = ReportOptions()
        options.profileThreshold = 0.2
        let (root, maps) = try heatmaps(options)
        // At 0.2 the fraction is h / 3: rises across heads, the same in every layer.
        let lum = luminances(maps["block"] ?? [])
        XCTAssertEqual(lum.count, 12)
        for row in 0..<3 {
            for h in 1..<4 { XCTAssertLessThan(lum[row * 4 + h - 1], lum[row * 4 + h]) }
        }
        XCTAssertTrue(root.all("desc").first?.allText.contains("below 0.2.") ?? false)

        // Default: the smallest threshold, 0.05, where every head has fraction 0.25 (one colour).
        let defaultFills = Set((try heatmaps(ReportOptions()).byMetric["block"] ?? []).compactMap { $0.attributes["fill"] })
        XCTAssertEqual(defaultFills.count, 1)
    }

    func testAThresholdNotInTheRunFallsBackAndSaysSo() throws {
        var options = ReportOptions()
        options.profileThreshold = 0.3
        let caption = try heatmaps(options).root.all("desc").first?.allText ?? ""
        XCTAssertTrue(caption.contains("threshold 0.3 is not in this run; available: 0.05, 0.2"), caption)
    }
}
