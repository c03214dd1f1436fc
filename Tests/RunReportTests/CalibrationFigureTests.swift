import Foundation
import XCTest
@testable import RunReport

extension RunFixtures {
    /// A `calibrate` run on a 3-layer, 4-head model: head (l, h) has tileDensity (4l + h) / 16 and
    /// computedFraction 0.5, except heads (0, 2) and (2, 1), which stay dense.
    static func calibration(id: String = "77777777-aaaa-4bbb-8ccc-000000000007", withinBudget: Bool = true) -> [String: Any] {
        let dense: Set<[Int]> = [[0, 2], [2, 1]]
        var heads: [[String: Any]] = []
        var values: [[Any]] = []
        for l in 0..<3 {
            var row: [Any] = []
            for h in 0..<4 {
                let isDense = dense.contains([l, h])
                row.append(isDense ? NSNull() : 0.01 * Double(h + 1))
                heads.append(["layer": l, "head": h, "value": isDense ? NSNull() : 0.01 * Double(h + 1), "dense": isDense,
                              "denseReason": isDense ? "budgetNotMet" : NSNull(), "tileDensity": isDense ? 1.0 : Double(4 * l + h) / 16,
                              "computedFraction": isDense ? 1.0 : 0.5, "recall": isDense ? 1.0 : 0.95, "attentionKL": isDense ? 0.0 : 0.05])
            }
            values.append(row)
        }
        let result: [String: Any] = [
            "budget": ["metric": "outputKL", "value": 0.01, "denseBelowSparsity": 0.1], "withinBudget": withinBudget,
            "reason": NSNull(), "heads": heads,
            "perHead": ["estimator": "meanPool", "selection": "threshold", "queryBlockSize": 16, "blockSize": 16, "stride": 8,
                        "lastQueries": 64, "sinkTokens": 4, "keepSink": false, "keepLocal": false, "values": values],
            "denseHeads": 2, "tileDensity": 0.4, "computedFraction": 0.4375, "recall": 0.96,
            "check": ["outputKL": 0.0087, "top1Agreement": 0.96, "nllFull": 3.25, "nllPruned": 3.3, "perplexityFull": 25.79,
                      "perplexityPruned": 27.11],
            "search": ["method": "globalAllocation", "candidates": [0.01, 0.02, 0.03, 0.04], "allocationSteps": 30, "stepsTaken": 10,
                       "prunedPasses": 5, "probes": [["steps": 10, "outputKL": 0.0087, "computedFraction": 0.4375]]],
        ]
        return stored(id: id, method: "calibrate", createdAt: "2024-05-03T08:00:00Z", durationMs: 4321,
                      params: ["texts": ["a", "b"], "maxOutputKL": 0.01, "queryBlockSize": 16, "blockSize": 16, "estimator": "meanPool"],
                      result: result, numTokens: 96)
    }
}

/// The calibration figure: (layers × heads) heatmaps of tileDensity and computedFraction,
/// dense heads drawn white and crossed, and the overall numbers with the check in a table.
final class CalibrationFigureTests: XCTestCase {
    private func figure() throws -> (root: XMLElement, byMetric: [String: XMLElement]) {
        let figures = try RunReport.svgFigures(runs: [RunFixtures.calibration()], options: ReportOptions())
        XCTAssertEqual(figures.map(\.name), ["calibration-77777777.svg"])
        let root = try parseXML(figures[0].svg)
        var byMetric: [String: XMLElement] = [:]
        for g in root.all("g") where g.classes.contains("heatmap") { byMetric[g.attributes["data-metric"] ?? "?"] = g }
        return (root, byMetric)
    }

    func testTwoHeatmapsOfLayersByHeadsWithTheDenseHeadsCrossed() throws {
        let (_, maps) = try figure()
        XCTAssertEqual(Set(maps.keys), ["tileDensity", "computedFraction"])
        for (metric, g) in maps {
            let cells = g.all("rect").filter { $0.classes.contains("cell") }
            XCTAssertEqual(cells.count, 3 * 4, metric)
            let dense = g.all("rect").filter { $0.classes.contains("dense") }
            XCTAssertEqual(dense.count, 2, metric)
            XCTAssertEqual(Set(dense.compactMap { $0.attributes["fill"] }), [CalibrationFigure.denseFill])
            XCTAssertEqual(g.all("line").filter { $0.classes.contains("dense-mark") }.count, 4, "two strokes per dense head")
            // The dense heads' rectangles sit on cells (0, 2) and (2, 1): the same x/y as those cells.
            let positions = Set(dense.map { [$0.number("x") ?? -1, $0.number("y") ?? -1] })
            let expected = Set([[0, 2], [2, 1]].map { lh in [cells[lh[0] * 4 + lh[1]].number("x") ?? -2, cells[lh[0] * 4 + lh[1]].number("y") ?? -2] })
            XCTAssertEqual(positions, expected, metric)
            XCTAssertTrue(dense.allSatisfy { $0.allText.contains("dense (budgetNotMet)") }, "the tooltip says why")
        }
    }

    func testDensityBrightnessFollowsTheValuesAndDenseHeadsAreOffTheScale() throws {
        let cells = try XCTUnwrap(try figure().byMetric["tileDensity"]).all("rect").filter { $0.classes.contains("cell") }
        // tileDensity (4l + h) / 16 rises in row-major order on the pruned heads.
        let pruned = cells.enumerated().filter { ![2, 9].contains($0.offset) }.map(\.element)
        let luminance = pruned.compactMap { $0.attributes["fill"].flatMap(ColorScale.luminance) }
        XCTAssertEqual(luminance.count, 10)
        for (a, b) in zip(luminance, luminance.dropFirst()) { XCTAssertLessThan(a, b) }
        XCTAssertTrue([2, 9].allSatisfy { cells[$0].classes.contains("missing") }, "a dense head has no density on the colour scale")
    }

    func testTheCaptionAndTableGiveTheComputedFractionAndTheCheck() throws {
        let caption = try figure().root.all("desc").first?.allText ?? ""
        XCTAssertTrue(caption.contains("outputKL ≤ 0.01 nats per position"), caption)
        XCTAssertTrue(caption.contains("Bq=16 × B=16 tiles chosen by the meanPool estimator"), caption)
        XCTAssertTrue(caption.contains("computes 0.4375 of dense causal attention, within budget."), caption)

        let html = try RunReport.html(runs: [RunFixtures.calibration()], options: ReportOptions())
        let root = try parseXML(html)
        XCTAssertNotNil(root.all("figure").first { $0.attributes["data-name"] == "calibration-77777777.svg" })
        let table = try XCTUnwrap(root.all("table").first { $0.classes.contains("calibration") })
        var rows: [String: String] = [:]
        for tr in table.all("tr") {
            let cells = tr.children
            if cells.count == 2 { rows[cells[0].allText] = cells[1].allText }
        }
        XCTAssertEqual(rows["dense heads"], "2 of 12")
        XCTAssertEqual(rows["computedFraction (of dense causal attention)"], "0.4375")
        XCTAssertEqual(rows["check: outputKL (nats per position)"], "0.0087")
        XCTAssertEqual(rows["check: top1Agreement"], "0.96")
        XCTAssertEqual(rows["check: NLL dense / pruned (nats)"], "3.25 / 3.3")
        XCTAssertEqual(rows["check: perplexity dense / pruned"], "25.79 / 27.11")
        XCTAssertEqual(rows["within budget"], "yes")
    }

    func testACalibrationOutsideTheProtocolIsNotDrawnAndSaysWhy() throws {
        var run = RunFixtures.calibration()
        var result = try XCTUnwrap(run["result"] as? [String: Any])
        result["check"] = nil
        run["result"] = result
        let html = try RunReport.html(runs: [run], options: ReportOptions())
        XCTAssertTrue(html.contains("does not have the calibrate shape of the protocol (result.check is missing)"), html)
    }
}
