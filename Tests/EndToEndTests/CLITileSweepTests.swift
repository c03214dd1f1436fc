import AttnProtocol
import Foundation
import JSONRPC
import XCTest
@testable import attn

/// `attn sweep` with tiles (issue 13 item 5): the options become the protocol's params, the
/// options that belong to one estimator are refused elsewhere, the tile table shows density,
/// computed fraction and recall beside the divergence within 100 columns, and `--export-mask`
/// writes the folder through the real binaries.
final class CLITileSweepTests: XCTestCase {
    func testTileOptionsBecomeParams() throws {
        let command = try SweepCommand.parse(["--query-block-size", "64", "--estimator", "antidiagonal", "--stride", "16",
                                              "--export-mask", "masks", "some text"])
        let params = command.tileParams()
        XCTAssertEqual(params["queryBlockSize"], 64)
        XCTAssertEqual(params["estimator"], "antidiagonal")
        XCTAssertEqual(params["stride"], 16)
        XCTAssertEqual(params["exportMask"], true)
        XCTAssertEqual(params["exportPath"]?.stringValue, FileManager.default.currentDirectoryPath + "/masks",
                       "a relative folder is made absolute against the working directory")
        let streaming = try SweepCommand.parse(["--estimator", "streaming", "--selection", "window", "--sink-tokens", "0", "x"]).tileParams()
        XCTAssertEqual(streaming["sinkTokens"], 0)
        XCTAssertEqual(try SweepCommand.parse(["--estimator", "LASTQUERIES", "--last-queries", "8", "x"]).tileParams()["lastQueries"], 8)
        XCTAssertTrue(try SweepCommand.parse(["x"]).tileParams().isEmpty, "nothing sent unless asked")
    }

    func testOptionsOfOneEstimatorAreRefusedElsewhere() {
        let refused: [([String], String)] = [
            (["--stride", "4"], "--stride applies to --estimator antidiagonal"),
            (["--estimator", "quest", "--last-queries", "8"], "--last-queries applies to --estimator lastQueries"),
            (["--estimator", "meanPool", "--sink-tokens", "2"], "--sink-tokens applies to --estimator streaming"),
            (["--selection", "window"], "--selection window is the rule of --estimator streaming"),
            (["--export-mask", "m"], "--export-mask writes tile masks"),
            (["--estimator", "nope"], "nope"),
        ]
        for (arguments, message) in refused {
            XCTAssertThrowsError(try SweepCommand.parse(arguments + ["x"]), arguments.joined(separator: " ")) { error in
                XCTAssertTrue(SweepCommand.message(for: error).contains(message), "\(arguments): \(SweepCommand.message(for: error))")
            }
        }
    }

    /// `attn kl` takes the same tile options (one `TileOptions` group) and refuses them alike.
    func testKLTakesTheTileOptions() throws {
        let command = try KLCommand.parse(["--query-block-size", "8", "--estimator", "streaming", "--selection", "window",
                                           "--threshold", "16", "--sink-tokens", "1", "x"])
        let params = command.tiles.params()
        XCTAssertEqual(params["queryBlockSize"], 8)
        XCTAssertEqual(params["estimator"], "streaming")
        XCTAssertEqual(params["sinkTokens"], 1)
        XCTAssertTrue(try KLCommand.parse(["x"]).tiles.params().isEmpty, "nothing sent unless asked")
        for (arguments, message) in [(["--stride", "4"], "--stride applies to --estimator antidiagonal"),
                                     (["--selection", "window"], "--selection window is the rule of --estimator streaming")] {
            XCTAssertThrowsError(try KLCommand.parse(arguments + ["x"])) { error in
                XCTAssertTrue(KLCommand.message(for: error).contains(message), KLCommand.message(for: error))
            }
        }
    }

    private func tilePoint(_ blockSize: Int, _ value: Double, kl: Double, density: Double, computed: Double, recall: Double) -> JSONValue {
        ["selection": "coverage", "blockSize": .int(Int64(blockSize)), "threshold": .double(value), "prunedBlockFraction": .double(1 - density),
         "seedPrunedFraction": 0.5, "prunedMass": .double(1 - recall), "attentionKL": .double(kl), "seedKL": 0.01, "fullyPrunedRows": 0,
         "layers": [], "tileDensity": .double(density), "computedFraction": .double(computed), "recall": .double(recall),
         "recallP5": .double(recall - 0.125), "estimatorMultiplyAdds": 1000]
    }

    func testTheTileTableShowsDensityComputedAndRecallWithin100Columns() throws {
        let values = [0.5, 0.8, 0.9, 0.95, 0.99, 0.999]
        let points: [JSONValue] = [16, 32].flatMap { b in values.map { tilePoint(b, $0, kl: 0.0123, density: 0.25, computed: 0.3125, recall: 0.875) } }
        let result: JSONValue = ["runId": "r", "numTokens": 100, "model": "m", "cached": false, "history": ["stored": true],
                                 "points": .array(points),
                                 "exportedMask": ["path": "/tmp/m", "queryBlockSize": 64, "points": []]]
        let response = try result.decode(PruneSweepResponse.self)
        let text = SweepRenderer.render(response, model: (2, 4), terminal: Terminal(colour: false, width: 100),
                                        tiles: SweepRenderer.TileLabel(queryBlockSize: 64, estimator: .meanPool))
        XCTAssertTrue(text.contains("tiles (Bq=64 queries × B keys, estimator meanPool)"), text)
        let header = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("tileDensity") }, text)
        for column in ["attentionKL", "computed", "recall", "recall p5"] { XCTAssertTrue(header.contains(column), String(header)) }
        let row = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("0.999") && $0.contains("25.0%") }, text)
        XCTAssertTrue(row.contains("0.0123") && row.contains("31.2%") && row.contains("87.5%") && row.contains("75.0%"), String(row))
        XCTAssertEqual(text.split(separator: "\n").filter { $0.contains("31.2%") }.count, 12, "one row per tile point")
        XCTAssertTrue(text.contains("written to /tmp/m"), text)
        for line in text.split(separator: "\n") { XCTAssertLessThanOrEqual(line.count, 100, String(line)) }
        // A per-row sweep has no tile table.
        var plain = points[0].objectValue ?? [:]
        for field in ["tileDensity", "computedFraction", "recall", "recallP5", "estimatorMultiplyAdds"] { plain[field] = nil }
        let perRow: JSONValue = ["runId": "r", "numTokens": 100, "model": "m", "cached": false, "history": ["stored": true],
                                 "points": [.object(plain)]]
        XCTAssertFalse(SweepRenderer.render(try perRow.decode(PruneSweepResponse.self), model: nil, terminal: Terminal(colour: false, width: 100))
            .contains("tileDensity"))
    }

    func testCSVAddsTheTileColumnsOnlyForTilePoints() throws {
        let tiled: JSONValue = ["runId": "r", "numTokens": 100, "model": "m", "cached": false, "history": ["stored": true],
                                "points": [tilePoint(16, 0.9, kl: 0.5, density: 0.25, computed: 0.3125, recall: 0.875)]]
        let lines = CSV.sweep(try tiled.decode(PruneSweepResponse.self), fallback: nil).split(whereSeparator: \.isNewline)
        XCTAssertTrue(lines[0].hasSuffix(",tileDensity,computedFraction,recall,recallP5,estimatorMultiplyAdds"), String(lines[0]))
        XCTAssertTrue(lines[1].hasSuffix(",0.25,0.3125,0.875,0.75,1000"), String(lines[1]))
        var plain = tilePoint(16, 0.9, kl: 0.5, density: 0.25, computed: 0.3125, recall: 0.875).objectValue ?? [:]
        for field in ["tileDensity", "computedFraction", "recall", "recallP5", "estimatorMultiplyAdds"] { plain[field] = nil }
        let perRow: JSONValue = ["runId": "r", "numTokens": 100, "model": "m", "cached": false, "history": ["stored": true],
                                 "points": [.object(plain)]]
        XCTAssertFalse(CSV.sweep(try perRow.decode(PruneSweepResponse.self), fallback: nil).contains("tileDensity"))
    }

    func testExportMaskThroughTheBinaries() throws {
        let harness = try AttnHarness()
        harness.environment["COLUMNS"] = "100"
        let out = harness.folder.appendingPathComponent("masks").path
        let text = "The quick brown fox jumps over the lazy dog and runs far away from the farm."
        let outcome = try harness.run(["sweep", "--query-block-size", "4", "--estimator", "quest", "--selection", "topK",
                                       "--thresholds", "1,2", "--block-sizes", "4,8", "--export-mask", out, text] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertTrue(outcome.stdout.contains("tileDensity"), outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains("estimator quest"), outcome.stdout)
        for line in outcome.stdout.split(separator: "\n") { XCTAssertLessThanOrEqual(line.count, 100, String(line)) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), ["point-000", "point-001", "point-002", "point-003"])
        let meta = try JSONParser.parse(Data(contentsOf: URL(fileURLWithPath: out + "/point-003/mask.json")))
        XCTAssertEqual(meta["BLOCK_SIZE"], [4, 8])
        XCTAssertEqual(meta["settings"]?["threshold"]?.doubleValue, 2)
        // The folder is never replaced: a second export to it fails with the daemon's -32006.
        let again = try harness.run(["sweep", "--query-block-size", "4", "--estimator", "quest", "--selection", "topK",
                                     "--thresholds", "1", "--block-sizes", "4", "--export-mask", out, text] + harness.modelArguments)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("a directory"), again.stderr)
    }
}
