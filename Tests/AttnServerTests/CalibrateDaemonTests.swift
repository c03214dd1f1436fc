import Foundation
import JSONRPC
import XCTest

/// `calibrate` through the real `attnd` on `tiny-peaked` (L = 2, H = 4), with a run history so the
/// stored calibration can be named by its run id (Protocol/README.md §10 `calibrate`).
final class CalibrateDaemonTests: XCTestCase {
    private var client: RPCClient!
    private var folder: URL!
    private let text = "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog again and again."
    private let other = "In the beginning God created the heaven and the earth. And the earth was without form, and void."

    override func setUpWithError() throws {
        folder = try DaemonSupport.temporaryFolder()
        client = try DaemonSupport.spawn(["--model", DaemonSupport.model("tiny-peaked"),
                                          "--db", folder.appendingPathComponent("runs.db").path])
    }

    override func tearDown() {
        if let client { DaemonSupport.stop(client) }
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    private func calibrate(_ params: [String: JSONValue]) throws -> JSONValue {
        var p: [String: JSONValue] = ["queryBlockSize": 4, "blockSize": 4]
        p.merge(params) { $1 }
        return try client.request("calibrate", params: .object(p), timeout: 300)
    }

    /// The calibrated configuration re-applied through `pruneSweep` with `perHead` gives the
    /// calibration's own end-to-end numbers exactly, for each budget and both kinds of estimator.
    func testTheStoredCalibrationReproducesItsCheckThroughPruneSweep() throws {
        let cases: [[String: JSONValue]] = [
            ["estimator": "oracle", "maxOutputKL": 0.01],
            ["estimator": "meanPool", "maxAttentionKL": 0.3],
            ["estimator": "quest", "selection": "topK", "minRecall": 0.9],
            ["estimator": "oracle", "selection": "relativeThreshold", "maxAttentionKL": 0.1],
        ]
        for params in cases {
            var request = params
            request["text"] = .string(text)
            let calibration = try calibrate(request)
            let runId = try XCTUnwrap(calibration["runId"]?.stringValue)
            let check = try XCTUnwrap(calibration["check"])
            let heads = try XCTUnwrap(calibration["heads"]?.array)
            XCTAssertEqual(heads.count, 8)
            XCTAssertEqual(calibration["withinBudget"], true, "\(params)")
            XCTAssertLessThan(try XCTUnwrap(calibration["denseHeads"]?.intValue), 8, "\(params): something is pruned")
            let sweep = try client.request("pruneSweep", params: ["text": .string(text), "endToEnd": true,
                                                                  "perHead": ["calibrationRunId": .string(runId)]], timeout: 300)
            let point = try XCTUnwrap(sweep["points"]?.array.first)
            XCTAssertEqual(point["perHead"], true)
            XCTAssertEqual(point["endToEnd"]?["outputKL"], check["outputKL"], "\(params)")
            XCTAssertEqual(point["endToEnd"]?["top1Agreement"], check["top1Agreement"], "\(params)")
            XCTAssertEqual(point["endToEnd"]?["nllPruned"], check["nllPruned"], "\(params)")
            XCTAssertEqual(point["computedFraction"], calibration["computedFraction"], "\(params)")
            XCTAssertEqual(point["recall"]?.doubleValue ?? 0, calibration["recall"]?.doubleValue ?? -1, accuracy: 1e-12, "\(params)")
        }
    }

    /// Over several texts the check is the mean over texts, which `pruneSweep`'s aggregate
    /// reproduces with a 95% interval; the inline table works like the run id.
    func testTextsCheckIsTheAggregateMeanWithAnInterval() throws {
        let calibration = try calibrate(["texts": [.string(text), .string(other)], "estimator": "meanPool", "maxOutputKL": 0.02])
        let table = try XCTUnwrap(calibration["perHead"])
        let sweep = try client.request("pruneSweep", params: ["texts": [.string(text), .string(other)], "endToEnd": true,
                                                              "perHead": table], timeout: 300)
        let aggregate = try XCTUnwrap(sweep["aggregate"]?["points"]?.array.first?["endToEnd"])
        XCTAssertEqual(aggregate["outputKL"]?["mean"], calibration["check"]?["outputKL"])
        XCTAssertEqual(aggregate["perplexityPruned"]?["mean"], calibration["check"]?["perplexityPruned"])
        XCTAssertNotNil(aggregate["outputKL"]?["lower"]?.doubleValue, "two texts give an interval")
        XCTAssertLessThanOrEqual(try XCTUnwrap(calibration["check"]?["outputKL"]?.doubleValue), 0.02)
    }

    /// A budget no setting meets keeps every head dense and says so; nothing overshoots.
    func testAnUnreachableBudgetKeepsTheModelDense() throws {
        for budget: [String: JSONValue] in [["maxOutputKL": 1e-12], ["maxAttentionKL": 1e-12]] {
            var request = budget
            request["text"] = .string(text)
            request["estimator"] = "meanPool"
            let calibration = try calibrate(request)
            XCTAssertEqual(calibration["denseHeads"]?.intValue, 8, "\(budget)")
            XCTAssertNotNil(calibration["reason"]?.stringValue, "\(budget)")
            XCTAssertEqual(calibration["withinBudget"], true, "\(budget)")
            XCTAssertEqual(calibration["check"]?["outputKL"]?.doubleValue, 0, "\(budget): a dense model is the dense model")
            for head in calibration["heads"]?.array ?? [] {
                XCTAssertEqual(head["value"], .null)
                XCTAssertEqual(head["dense"], true)
            }
        }
    }

    /// `perPositionKL` with the table: the mean of its values is the `pruneSweep` point's.
    func testPerPositionKLAppliesTheTable() throws {
        let calibration = try calibrate(["text": .string(text), "estimator": "oracle", "maxAttentionKL": 0.05])
        let table = try XCTUnwrap(calibration["perHead"])
        let sweep = try client.request("pruneSweep", params: ["text": .string(text), "perHead": table], timeout: 300)
        let point = try XCTUnwrap(sweep["points"]?.array.first)
        let kl = try client.request("perPositionKL", params: ["text": .string(text), "perHead": table, "metric": "prunedMass"],
                                    timeout: 300)
        let values = (kl["layers"]?.array ?? []).flatMap { $0["values"]?.array.compactMap(\.doubleValue) ?? [] }
        XCTAssertFalse(values.isEmpty)
        XCTAssertEqual(values.reduce(0, +) / Double(values.count), try XCTUnwrap(point["prunedMass"]?.doubleValue), accuracy: 1e-9)
    }

    func testBadInputNamesTheField() throws {
        let cases: [([String: JSONValue], String)] = [
            (["text": .string(text)], "maxOutputKL|maxAttentionKL|minRecall"),
            (["text": .string(text), "maxOutputKL": 0.1, "minRecall": 0.9], "minRecall"),
            (["text": .string(text), "minRecall": 1.5], "minRecall"),
            (["text": .string(text), "maxOutputKL": 0.1, "denseBelowSparsity": 2], "denseBelowSparsity"),
        ]
        for (params, field) in cases {
            XCTAssertThrowsError(try calibrate(params)) { error in
                XCTAssertEqual((error as? RPCError)?.code, .invalidParams)
                XCTAssertEqual((error as? RPCError)?.data?["field"]?.stringValue, field, "\(params)")
            }
        }
        let table: JSONValue = ["estimator": "oracle", "blockSize": 4, "values": [[0.1, 0.1]]]
        for (params, field) in [
            (["text": .string(text), "perHead": table] as [String: JSONValue], "perHead.values"),
            (["text": .string(text), "perHead": table, "blockSizes": [4]], "blockSizes"),
            (["text": .string(text), "perHead": ["calibrationRunId": "no-such-run"]], "perHead.calibrationRunId"),
            (["text": .string(text), "perHead": ["estimator": "oracle", "blockSize": 4, "values": [[2, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1]]]],
             "perHead.values[0][0]"),
        ] {
            XCTAssertThrowsError(try client.request("pruneSweep", params: .object(params), timeout: 60)) { error in
                XCTAssertEqual((error as? RPCError)?.code, .invalidParams)
                XCTAssertEqual((error as? RPCError)?.data?["field"]?.stringValue, field, "\(params)")
            }
        }
    }
}
