import Foundation
import XCTest
@testable import RunReport

/// The corpus figure: perplexity and ΔNLL (with its interval) against the computed fraction per
/// setting of an `evaluateCorpus` run, the dense model at 1, and the settings table.
final class CorpusFigureTests: XCTestCase {
    private static let id = "cccccccc-0000-4000-8000-000000000000"

    private func setting(_ threshold: Double, perplexity: Double, delta: Double, interval: (Double, Double)?,
                         prunedBlockFraction: Double?) -> [String: Any] {
        var s: [String: Any] = [
            "setting": ["selection": "threshold", "threshold": threshold, "blockSize": 32, "keepSink": false, "keepLocal": false],
            "nll": log(perplexity), "perplexity": perplexity,
            "deltaNLL": ["mean": delta, "lower": interval.map { $0.0 } ?? NSNull(), "upper": interval.map { $0.1 } ?? NSNull(), "n": 3],
            "outputKL": 0.01, "top1Agreement": 0.9,
        ]
        if let prunedBlockFraction { s["prunedBlockFraction"] = prunedBlockFraction }
        return s
    }

    private func corpusRun(settings: [[String: Any]]) -> [String: Any] {
        RunFixtures.stored(id: Self.id, method: "evaluateCorpus", createdAt: "2024-05-01T12:34:56.789Z", durationMs: 1000,
                           params: ["maxLength": 128, "stride": 64, "settings": settings.map { $0["setting"]! }, "perWindow": false],
                           result: ["maxLength": 128, "stride": 64, "windows": 4, "windowsReused": 0, "tokensScored": 380,
                                    "predictionsScored": 380, "dense": ["nll": log(20.0), "perplexity": 20.0], "settings": settings],
                           numTokens: 400)
    }

    private var twoSettings: [[String: Any]] {
        [setting(0.002, perplexity: 21, delta: 0.05, interval: (0.03, 0.07), prunedBlockFraction: 0.25),
         setting(0.01, perplexity: 25, delta: 0.2, interval: (0.1, 0.3), prunedBlockFraction: 0.5)]
    }

    private func figure(_ run: [String: Any]) throws -> XMLElement {
        let figures = try RunReport.svgFigures(runs: [run], options: ReportOptions())
        let corpus = try XCTUnwrap(figures.first { $0.name == "corpus-cccccccc.svg" }, "\(figures.map(\.name))")
        return try parseXML(corpus.svg)
    }

    private func position(_ marker: XMLElement) throws -> (x: Double, y: Double) {
        let t = try XCTUnwrap(marker.attributes["transform"])
        let numbers = t.dropFirst("translate(".count).dropLast().split(separator: ",").compactMap { Double($0) }
        XCTAssertEqual(numbers.count, 2, t)
        return (numbers[0], numbers[1])
    }

    private func panel(_ root: XMLElement, _ metric: String) throws -> XMLElement {
        try XCTUnwrap(root.all("g").first { $0.classes.contains("panel") && $0.classes.contains(metric) }, metric)
    }

    func testMarkersSitAtComputedFractionAndPerplexity() throws {
        let root = try figure(corpusRun(settings: twoSettings))
        let legend = root.all(withClass: "legend-entry").map { $0.allText.trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(legend, ["dense", "threshold 0.002, B 32", "threshold 0.01, B 32"])
        let p = try panel(root, "perplexity")
        let dense = try position(try XCTUnwrap(p.all(withClass: "dense").first))
        let first = try position(try XCTUnwrap(p.all(withClass: "setting-0").first { $0.classes.contains("marker") }))
        let second = try position(try XCTUnwrap(p.all(withClass: "setting-1").first { $0.classes.contains("marker") }))
        // x: computed fraction 1 (dense) > 0.75 > 0.5, linear: the gaps are equal.
        XCTAssertGreaterThan(dense.x, first.x)
        XCTAssertGreaterThan(first.x, second.x)
        XCTAssertEqual(dense.x - first.x, first.x - second.x, accuracy: 1e-6)
        // y: perplexity 20 < 21 < 25, drawn upward (SVG y grows down); 21 − 20 : 25 − 21 = 1 : 4.
        XCTAssertGreaterThan(dense.y, first.y)
        XCTAssertGreaterThan(first.y, second.y)
        XCTAssertEqual((dense.y - first.y) * 4, first.y - second.y, accuracy: 1e-6)
    }

    func testDeltaPanelDrawsEachInterval() throws {
        let root = try figure(corpusRun(settings: twoSettings))
        let p = try panel(root, "delta-nll")
        let bars = p.all("line").filter { $0.classes.contains("interval") }
        XCTAssertEqual(bars.count, 2)
        for (i, bar) in bars.enumerated() {
            let marker = try position(try XCTUnwrap(p.all(withClass: "setting-\(i)").first { $0.classes.contains("marker") }))
            let x1 = try XCTUnwrap(Double(bar.attributes["x1"] ?? "")), y1 = try XCTUnwrap(Double(bar.attributes["y1"] ?? ""))
            let y2 = try XCTUnwrap(Double(bar.attributes["y2"] ?? ""))
            XCTAssertEqual(x1, marker.x, accuracy: 0.01, "the bar stands at the setting's x")
            XCTAssertTrue(min(y1, y2) < marker.y && marker.y < max(y1, y2), "the mean lies inside its interval")
        }
        // ΔNLL 0.05 on [0.03, 0.07]: the marker halves its bar.
        let bar = bars[0]
        let y1 = Double(bar.attributes["y1"]!)!, y2 = Double(bar.attributes["y2"]!)!
        let m = try position(try XCTUnwrap(p.all(withClass: "setting-0").first { $0.classes.contains("marker") }))
        XCTAssertEqual(m.y, (y1 + y2) / 2, accuracy: 0.01)
    }

    func testHTMLHasTheSettingsTableAndARunWithoutFractionsIsStillReported() throws {
        let html = try RunReport.html(runs: [corpusRun(settings: twoSettings)])
        XCTAssertTrue(html.contains("corpus-settings"))
        XCTAssertTrue(html.contains("0.05 [0.03, 0.07]"), "ΔNLL with its interval in the table")
        XCTAssertFalse(html.contains("No figure for this method"))
        // A run stored before prunedBlockFraction existed: its settings are in the table, not on the axes.
        let old = corpusRun(settings: [setting(0.002, perplexity: 21, delta: 0.05, interval: nil, prunedBlockFraction: nil)])
        let root = try figure(old)
        XCTAssertEqual(root.all(withClass: "setting-0").count, 0)
        XCTAssertEqual(try panel(root, "perplexity").all(withClass: "dense").count, 1)
        let text = try RunReport.html(runs: [old])
        XCTAssertTrue(text.contains("no prunedBlockFraction"))
        XCTAssertTrue(text.contains("threshold 0.002, B 32"))
    }
}
