import AttentionAnalysis
import AttnProtocol
import AttnServer
import Foundation
import JSONRPC
import XCTest

/// Daemon behaviour the Protocol/ spec documents and the conformance replay relies on:
/// `initialize`'s capabilities, a refused `texts` named as such, and the wire form of analysis
/// errors (-32602 always carries `{field, value, accepted}`).
final class ProtocolConformanceTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try DaemonSupport.temporaryFolder()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Spawns `attnd --stdio` with `arguments` and returns it with its `initialize` result.
    private func spawn(_ arguments: [String]) throws -> (RPCClient, JSONValue) {
        let client = try RPCClient.spawn(executable: DaemonSupport.attnd(),
                                         arguments: ["--stdio", "--log-level", "error"] + arguments,
                                         stderr: FileHandle(forWritingAtPath: "/dev/null"))
        let result = try client.request("initialize", params: ["clientInfo": ["name": "conformance-tests"]], timeout: 30)
        return (client, result)
    }

    func testInitializeReportsHistoryAndTheLimitsGivenOnTheCommandLine() throws {
        let (client, result) = try spawn(["--model", DaemonSupport.model("tiny-peaked"), "--no-history",
                                          "--max-queue", "7", "--max-message-bytes", "5000"])
        defer { DaemonSupport.stop(client) }
        let capabilities = try XCTUnwrap(result["capabilities"])
        XCTAssertEqual(capabilities["history"], false)
        XCTAssertEqual(capabilities["limits"], ["maxMessageBytes": 5000, "maxQueue": 7, "maxListLength": 64,
                                                "maxAttentionEntries": 4_000_000, "maxSweepPoints": 16_384,
                                                "maxEndToEndPasses": 2_048, "maxOutputQueueBytes": 67_108_864])
        let methods = capabilities["methods"]?.array.compactMap(\.stringValue) ?? []
        XCTAssertTrue(["initialize", "shutdown", "pruneSweep", "runs/list"].allSatisfy(methods.contains), "\(methods)")
        XCTAssertEqual(result["model"]?["name"], "tiny-peaked")
    }

    func testInitializeReportsHistoryWhenTheDatabaseOpened() throws {
        let (client, result) = try spawn(["--db", folder.appendingPathComponent("runs.sqlite").path])
        defer { DaemonSupport.stop(client) }
        XCTAssertEqual(result["capabilities"]?["history"], true)
        XCTAssertEqual(result["capabilities"]?["limits"]?["maxQueue"], 64, "the default --max-queue")
        XCTAssertNil(result["model"], "no model loaded")
    }

    func testInitializeReportsNoHistoryWhenTheDatabaseCannotBeOpened() throws {
        // A folder where the database file should be: the daemon starts without history.
        let (client, result) = try spawn(["--db", folder.path])
        defer { DaemonSupport.stop(client) }
        XCTAssertEqual(result["capabilities"]?["history"], false)
        XCTAssertEqual(DaemonSupport.error(client, "runs/list", nil)?.code, .historyUnavailable)
    }

    func testPerPositionKLRefusesTextsByItsName() throws {
        let (client, _) = try spawn(["--model", DaemonSupport.model("tiny-peaked"), "--no-history"])
        defer { DaemonSupport.stop(client) }
        let e = DaemonSupport.error(client, "perPositionKL", ["texts": ["a", "b"]])
        XCTAssertEqual(e?.code, .invalidParams)
        XCTAssertEqual(e?.data?["field"], "texts")
        XCTAssertEqual(e?.data?["value"], ["a", "b"])
        // Without any input the choice is named, as before.
        XCTAssertEqual(DaemonSupport.error(client, "perPositionKL", [:])?.data?["field"], "text|tokens")
        XCTAssertEqual(try client.request("perPositionKL", params: ["tokens": [1, 2, 3]])["metric"], "attentionKL")
    }

    func testTextsOfOneTextStillAnswerWithTextsAndAggregate() throws {
        let (client, _) = try spawn(["--model", DaemonSupport.model("tiny-peaked"), "--no-history"])
        defer { DaemonSupport.stop(client) }
        let sweep = try client.request("pruneSweep", params: ["texts": ["The quick brown fox"], "thresholds": [0.01],
                                                              "blockSizes": [4], "maxAttentionKL": 1])
        XCTAssertNil(sweep["points"])
        XCTAssertEqual(sweep["texts"]?.array.count, 1)
        let point = try XCTUnwrap(sweep["aggregate"]?["points"]?.array.first)
        let perText = try XCTUnwrap(sweep["texts"]?.array.first?["points"]?.array.first)
        // One text: the mean is that text's value and there is no interval.
        XCTAssertEqual(point["attentionKL"]?["mean"], perText["attentionKL"])
        XCTAssertEqual(point["attentionKL"]?["n"], 1)
        XCTAssertEqual(point["attentionKL"]?["lower"], .null)
        XCTAssertEqual(point["attentionKL"]?["upper"], .null)
        XCTAssertEqual(sweep["recommendation"]?.array.first?["metric"], "attentionKL")

        let profile = try client.request("profileAttention", params: ["texts": ["The quick brown fox"]])
        XCTAssertNil(profile["layers"])
        XCTAssertEqual(profile["texts"]?.array.count, 1)
        let heads = profile["aggregate"]?["heads"]?.array ?? []
        XCTAssertEqual(heads.count, 2 * 4, "one entry per (layer, head) of the tiny model")
        XCTAssertEqual(heads.last?["layer"], 1)
        XCTAssertEqual(heads.last?["head"], 3)
        XCTAssertEqual(heads.first?["sinkMass"]?["mean"],
                       profile["texts"]?.array.first?["layers"]?.array.first?["heads"]?.array.first?["sinkMass"])
    }

    /// Runs attnd with `arguments` until it exits; returns the exit status.
    private func exitStatus(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = try DaemonSupport.attnd()
        process.arguments = arguments
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func testStartUpFailuresExitWithTwoAndBadCommandLinesWithSixtyFour() throws {
        let notASocket = folder.appendingPathComponent("plain-file").path
        XCTAssertTrue(FileManager.default.createFile(atPath: notASocket, contents: Data("keep".utf8)))
        XCTAssertEqual(try exitStatus(["--listen", notASocket]), 2, "the socket path cannot be used")
        XCTAssertEqual(try exitStatus(["--stdio", "--model", folder.appendingPathComponent("no-model").path]), 2,
                       "--model cannot be loaded")
        XCTAssertEqual(try exitStatus(["--stdio", "--listen", notASocket]), 64)
        XCTAssertEqual(try exitStatus(["--stdio", "--max-queue", "-1"]), 64)
        XCTAssertEqual(try exitStatus(["--stdio", "--queue-limit", "3"]), 64, "an unknown flag")
    }

    func testAnalysisValueRefusalsCarryTheInvalidParamsData() {
        let refused = AnalysisError.invalidValue(field: "thresholds[0]", value: 2, accepted: "a number in (0, 1]").rpcError
        XCTAssertEqual(refused.code, .invalidParams)
        XCTAssertEqual(refused.data, ["field": "thresholds[0]", "value": 2.0, "accepted": "a number in (0, 1]"])

        let notFinite = AnalysisError.invalidValue(field: "seedEpsilon", value: .nan, accepted: SeedEpsilon.accepted).rpcError
        XCTAssertEqual(notFinite.data?["value"], .null, "NaN is not JSON: sent as null")

        let block = AnalysisError.invalidBlockSize(field: "blockSizes[1]", value: 0).rpcError
        XCTAssertEqual(block.code, .invalidParams)
        XCTAssertEqual(block.data?["field"], "blockSizes[1]")
        XCTAssertEqual(block.data?["value"], 0)
        XCTAssertNotNil(block.data?["accepted"]?.stringValue)

        let budget = AnalysisError.invalidBudget(field: "maxOutputKL", reason: "needs endToEnd: true").rpcError
        XCTAssertEqual(budget.data?["field"], "maxOutputKL")
        XCTAssertEqual(budget.data?["accepted"], "needs endToEnd: true")
    }

    func testAnalysisShapeErrorsAreInternalErrors() {
        for error in [AnalysisError.missingLayers([1]), .attentionSizeMismatch(layer: 0, expected: 16, actual: 15),
                      .unexpectedLayer(layer: 2, layers: 2, alreadySeen: false)] {
            let wire = error.rpcError
            XCTAssertEqual(wire.code, .internalError, "\(error)")
            XCTAssertEqual(wire.data?["reason"], .string(error.description))
        }
    }
}
