import Foundation
import XCTest
@testable import RunReport

/// The tile figure: recall and attentionKL against computedFraction, one column per tile size,
/// one curve per estimator, from stored runs.
final class RecallFigureTests: XCTestCase {
    /// A tile sweep run: `estimator` at Bq = 4 over block sizes 8 and 16, points (computedFraction,
    /// recall, attentionKL) given per block size.
    private func tileRun(id: String, estimator: String, points: [Int: [(c: Double, recall: Double, kl: Double)]]) -> [String: Any] {
        var wire: [[String: Any]] = []
        for blockSize in points.keys.sorted() {
            for (n, p) in points[blockSize]!.enumerated() {
                var point = RunFixtures.point(blockSize: blockSize, threshold: [0.9, 0.95, 0.99][n], fraction: 1 - p.c, seedFraction: 0.5,
                                              attentionKL: p.kl, seedKL: 1, layerKLs: [p.kl])
                point["selection"] = "coverage"
                point["tileDensity"] = p.c
                point["computedFraction"] = p.c
                point["recall"] = p.recall
                point["recallP5"] = p.recall - 0.1
                point["estimatorMultiplyAdds"] = 100
                wire.append(point)
            }
        }
        return RunFixtures.stored(id: id, method: "pruneSweep", createdAt: "2024-05-01T12:34:56.789Z", durationMs: 10,
                                  params: ["tokens": [1, 2, 3], "blockSizes": [8, 16], "thresholds": [0.9, 0.95, 0.99], "selection": "coverage",
                                           "queryBlockSize": 4, "estimator": estimator, "seedEpsilon": 1e-12],
                                  result: ["points": wire], numTokens: 64)
    }

    private var runs: [[String: Any]] {
        [tileRun(id: "aaaaaaaa-0000-4000-8000-000000000000", estimator: "meanPool",
                 points: [8: [(0.5, 0.9, 0.1), (0.3, 0.8, 0.2)], 16: [(0.6, 0.95, 0.05)]]),
         tileRun(id: "bbbbbbbb-0000-4000-8000-000000000000", estimator: "oracle",
                 points: [8: [(0.2, 0.97, 0.03), (0.4, 0.99, 0.01), (0.1, 0.9, 0.1)], 16: [(0.5, 0.999, 0.001)]])]
    }

    private func figure(_ runs: [[String: Any]]) throws -> XMLElement? {
        let figures = try RunReport.svgFigures(runs: runs, options: ReportOptions())
        return try figures.first { $0.name == "tiles-recall.svg" }.map { try parseXML($0.svg) }
    }

    private func panel(_ root: XMLElement, metric: String, blockSize: Int) throws -> XMLElement {
        try XCTUnwrap(root.all("g").first {
            $0.classes.contains("panel") && $0.classes.contains(metric) && $0.attributes["data-block-size"] == "\(blockSize)"
                && $0.attributes["data-query-block-size"] == "4"
        }, "no \(metric) panel for 4 × \(blockSize)")
    }

    /// (x, y) of a marker from its `translate(x,y)`.
    private func position(_ marker: XMLElement) throws -> (x: Double, y: Double) {
        let t = try XCTUnwrap(marker.attributes["transform"])
        let numbers = t.dropFirst("translate(".count).dropLast().split(separator: ",").compactMap { Double($0) }
        XCTAssertEqual(numbers.count, 2, t)
        return (numbers[0], numbers[1])
    }

    func testOneCurvePerEstimatorPerTileSizeWithOracleFirst() throws {
        let root = try XCTUnwrap(try figure(runs))
        let legend = root.all(withClass: "legend-entry").map { $0.allText.trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(legend, ["oracle", "meanPool"], "estimators in the protocol's order, oracle included")
        for metric in ["recall", "attention-kl"] {
            for blockSize in [8, 16] {
                let p = try panel(root, metric: metric, blockSize: blockSize)
                let drawn = p.descendants.flatMap(\.classes).filter { $0.hasPrefix("estimator-") }
                XCTAssertEqual(Set(drawn), ["estimator-oracle", "estimator-meanPool"], "\(metric) B=\(blockSize)")
                // Three oracle points at B=8 make a line; one point alone is only a marker.
                XCTAssertEqual(p.all("polyline").contains { $0.classes.contains("estimator-oracle") }, blockSize == 8, "the oracle's curve")
            }
        }
        let oracle8 = try panel(root, metric: "recall", blockSize: 8).all(withClass: "estimator-oracle").filter { $0.classes.contains("marker") }
        XCTAssertEqual(oracle8.count, 3)
    }

    func testMarkersSitAtTheirComputedFractionAndRecall() throws {
        let root = try XCTUnwrap(try figure(runs))
        let markers = try panel(root, metric: "recall", blockSize: 8).all(withClass: "estimator-oracle").filter { $0.classes.contains("marker") }
        let xs = try markers.map { try position($0).x }, ys = try markers.map { try position($0).y }
        // Drawn sorted by computedFraction: 0.1, 0.2, 0.4 with recall 0.9, 0.97, 0.99.
        XCTAssertEqual(xs, xs.sorted(), "a curve runs left to right")
        XCTAssertEqual(ys, ys.sorted(by: >), "higher recall is drawn higher (smaller y)")
        // Linear in computedFraction: the gap 0.1 → 0.2 is half the gap 0.2 → 0.4.
        XCTAssertEqual((xs[1] - xs[0]) * 2, xs[2] - xs[1], accuracy: 0.05)
        let tooltips = markers.map(\.allText)
        XCTAssertTrue(tooltips[0].contains("computedFraction 0.1") && tooltips[0].contains("recall 0.9"), tooltips[0])
        // The KL row draws the same points with attentionKL (log): larger KL, higher.
        let kl = try panel(root, metric: "attention-kl", blockSize: 8).all(withClass: "estimator-oracle").filter { $0.classes.contains("marker") }
        XCTAssertEqual(try kl.map { try position($0).y }, try kl.map { try position($0).y }.sorted(), "attentionKL falls as computedFraction grows")
    }

    func testNoFigureWithoutTilePointsAndTheHTMLHasASection() throws {
        XCTAssertNil(try figure([RunFixtures.sweep()]), "a per-row sweep has no tile points")
        let html = try RunReport.html(runs: runs)
        XCTAssertTrue(html.contains("<section id=\"tiles\">"))
        XCTAssertTrue(html.contains("Recall against computed fraction"))
        XCTAssertFalse(try RunReport.html(runs: [RunFixtures.sweep()]).contains("<section id=\"tiles\">"))
    }
}
