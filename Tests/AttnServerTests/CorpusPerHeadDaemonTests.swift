import Foundation
import JSONRPC
import XCTest

/// `evaluateCorpus` settings with `perHead` (a calibration run or an inline table) through the
/// real `attnd` on `tiny-peaked` with a history (Protocol/README.md §10 evaluateCorpus, calibrate).
final class CorpusPerHeadDaemonTests: XCTestCase {
    private var client: RPCClient!
    private var folder: URL!
    private let text = "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog again and again."

    override func setUpWithError() throws {
        folder = try DaemonSupport.temporaryFolder()
        client = try DaemonSupport.spawn(["--model", DaemonSupport.model("tiny-peaked"),
                                          "--db", folder.appendingPathComponent("runs.db").path])
    }

    override func tearDown() {
        if let client { DaemonSupport.stop(client) }
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// One window covering the whole text scores predictions 0…T−2, the positions of `pruneSweep`'s
    /// `nllPruned`: a calibration as a corpus setting gives the same pruned NLL as the sweep with it.
    func testACalibrationAsASettingMatchesTheSweepOnOneWindow() throws {
        for estimator in ["oracle", "meanPool"] {
            let calibration = try client.request("calibrate", params: ["text": .string(text), "estimator": .string(estimator),
                                                                       "queryBlockSize": 4, "blockSize": 4, "maxOutputKL": 0.05],
                                                 timeout: 300)
            let runId = try XCTUnwrap(calibration["runId"]?.stringValue)
            let table = try XCTUnwrap(calibration["perHead"])
            let sweep = try client.request("pruneSweep", params: ["text": .string(text), "endToEnd": true, "perHead": table], timeout: 300)
            let e2e = try XCTUnwrap(sweep["points"]?.array.first?["endToEnd"])
            let corpus = try client.request("evaluateCorpus", params: [
                "text": .string(text), "maxLength": 128, "stride": 128,
                "settings": [["perHead": ["calibrationRunId": .string(runId)]], ["perHead": table]],
            ], timeout: 300)
            XCTAssertEqual(corpus["windows"]?.intValue, 1)
            let settings = try XCTUnwrap(corpus["settings"]?.array)
            XCTAssertEqual(settings.count, 2)
            for s in settings {
                XCTAssertEqual(s["setting"]?["perHead"], table, "the run id is resolved to its table")
                XCTAssertEqual(s["setting"]?["threshold"], 0)
                XCTAssertEqual(s["nll"]?.doubleValue ?? 0, e2e["nllPruned"]?.doubleValue ?? -1, accuracy: 1e-9, estimator)
                XCTAssertEqual(corpus["dense"]?["nll"]?.doubleValue ?? 0, e2e["nllFull"]?.doubleValue ?? -1, accuracy: 1e-9)
                let pruned = try XCTUnwrap(s["prunedBlockFraction"]?.doubleValue)
                XCTAssertGreaterThan(pruned, 0, "\(estimator): the calibration prunes something")
                XCTAssertLessThan(pruned, 1)
            }
        }
    }

    func testBadPerHeadSettingsNameTheField() throws {
        let cases: [(JSONValue, String)] = [
            ([["perHead": ["calibrationRunId": "no-such-run"]]], "settings[0].perHead.calibrationRunId"),
            ([["perHead": ["estimator": "oracle", "blockSize": 4, "values": [[0.1]]]]], "settings[0].perHead.values"),
            ([["perHead": ["estimator": "oracle", "blockSize": 4, "values": [[0.1]]], "threshold": 0.1]], "settings[0].threshold"),
        ]
        for (settings, field) in cases {
            XCTAssertThrowsError(try client.request("evaluateCorpus", params: ["text": .string(text), "maxLength": 64,
                                                                               "settings": settings], timeout: 60)) { error in
                XCTAssertEqual((error as? RPCError)?.code, .invalidParams)
                XCTAssertEqual((error as? RPCError)?.data?["field"]?.stringValue, field)
            }
        }
    }
}
