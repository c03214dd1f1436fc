import Foundation
import JSONRPC
import XCTest

/// `pruneSweep` tile points through the real `attnd` on `tiny-peaked` (L = 2, H = 4, D = 8):
/// the per-row defaults unchanged, every estimator's point fields in range, and the pruned pass
/// (block-sparse for estimators) equal to the dense one when every tile is kept.
final class TileSweepDaemonTests: XCTestCase {
    private var client: RPCClient!
    private let text = "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog again and again."
    private let tileFields = ["tileDensity", "computedFraction", "recall", "recallP5", "estimatorMultiplyAdds"]

    override func setUpWithError() throws {
        client = try DaemonSupport.spawn(["--model", DaemonSupport.model("tiny-peaked"), "--no-history"])
    }

    override func tearDown() {
        if let client { DaemonSupport.stop(client) }
    }

    private func points(_ params: JSONValue) throws -> [JSONValue] {
        try XCTUnwrap(client.request("pruneSweep", params: params, timeout: 120)["points"]?.array)
    }

    func testQueryBlockSizeOneWithTheOracleIsTodaysSweepExactly() throws {
        let base: [String: JSONValue] = ["text": .string(text), "thresholds": [0.2, 0.05], "blockSizes": [2, 8], "endToEnd": true,
                                         "keepSink": true, "force": true]
        var spelled = base
        spelled["queryBlockSize"] = 1
        spelled["estimator"] = "oracle"
        spelled["stride"] = 4
        let today = try points(.object(base))
        let explicit = try points(.object(spelled))
        XCTAssertEqual(today.count, 4)
        XCTAssertEqual(explicit, today, "queryBlockSize 1 + oracle is the per-row path, bit for bit")
        for p in today {
            for field in tileFields { XCTAssertNil(p[field], "\(field) on a per-row point") }
            XCTAssertNil(p["endToEnd"]?["attentionSecondsPruned"])
            XCTAssertEqual(p["endToEnd"]?.objectValue?.count, 6)
        }
    }

    func testEveryEstimatorsTilePointsAreInRange() throws {
        let cases: [(String, [String: JSONValue])] = [
            ("oracle", ["selection": "coverage", "thresholds": [0.5, 0.9]]),
            ("oracle", ["selection": "threshold", "thresholds": [0.2, 0.05]]),
            ("meanPool", ["selection": "coverage", "thresholds": [0.5, 0.9]]),
            ("antidiagonal", ["selection": "coverage", "thresholds": [0.5, 0.9], "stride": 2]),
            ("lastQueries", ["selection": "topK", "thresholds": [1, 2], "lastQueries": 8]),
            ("quest", ["selection": "topK", "thresholds": [1, 2]]),
            ("streaming", ["thresholds": [2, 8], "sinkTokens": 1]),
        ]
        for (estimator, extra) in cases {
            var params: [String: JSONValue] = ["text": .string(text), "estimator": .string(estimator), "queryBlockSize": 4,
                                               "blockSizes": [4, 8]]
            params.merge(extra) { $1 }
            let result = try points(.object(params))
            XCTAssertEqual(result.count, 4, estimator)
            XCTAssertEqual(result.map { $0["blockSize"]?.intValue ?? 0 }, [4, 4, 8, 8], estimator)
            for p in result {
                let label = "\(estimator) B=\(p["blockSize"]!) \(p["threshold"]!)"
                let density = try XCTUnwrap(p["tileDensity"]?.doubleValue, label)
                let computed = try XCTUnwrap(p["computedFraction"]?.doubleValue, label)
                let recall = try XCTUnwrap(p["recall"]?.doubleValue, label)
                let p5 = try XCTUnwrap(p["recallP5"]?.doubleValue, label)
                let cost = try XCTUnwrap(p["estimatorMultiplyAdds"]?.intValue, label)
                XCTAssert(density > 0 && density <= 1, "\(label): tileDensity \(density)")
                XCTAssert(computed > 0 && computed <= 1.5, "\(label): computedFraction \(computed)")
                XCTAssert(recall > 0 && recall <= 1, "\(label): recall \(recall)")
                XCTAssert(p5 > 0 && p5 <= recall, "\(label): recallP5 \(p5)")
                XCTAssertEqual(try XCTUnwrap(p["prunedMass"]?.doubleValue), 1 - recall, accuracy: 1e-15, label)
                let kl = try XCTUnwrap(p["attentionKL"]?.doubleValue)
                XCTAssertGreaterThanOrEqual(kl, -log(recall) - 1e-12, "\(label): Jensen: mean −ln m ≥ −ln mean m")
                let pruned = try XCTUnwrap(p["prunedBlockFraction"]?.doubleValue)
                XCTAssert((0...1).contains(pruned), label)
                XCTAssertEqual(p["selection"]?.stringValue, estimator == "streaming" ? "window" : extra["selection"]?.stringValue, label)
                XCTAssertEqual(p["layers"]?.array.count, 2, label)
                if ["oracle", "streaming"].contains(estimator) { XCTAssertEqual(cost, 0, label) } else { XCTAssertGreaterThan(cost, 0, label) }
                if estimator != "oracle" { XCTAssertEqual(p["fullyPrunedRows"]?.intValue, 0, "\(label): diagonal tiles are kept") }
            }
            // The second value is the looser rule (lower τ, more coverage, larger k, a wider window):
            // it keeps at least as many tiles at the same block size.
            XCTAssertGreaterThanOrEqual(result[1]["tileDensity"]!.doubleValue!, result[0]["tileDensity"]!.doubleValue!, estimator)
        }
    }

    func testEndToEndTilePointsMatchTheDensePassWhenEveryTileIsKept() throws {
        for (estimator, selection, values) in [("meanPool", "topK", [1_000_000, 1]), ("streaming", "window", [4096, 2]),
                                               ("oracle", "topK", [1_000_000, 1])] {
            let result = try points(["text": .string(text), "estimator": .string(estimator), "selection": .string(selection),
                                     "thresholds": .array(values.map { .int(Int64($0)) }), "queryBlockSize": 4, "blockSizes": [4],
                                     "endToEnd": true, "sinkTokens": 0])
            let all = result[0], few = result[1]
            XCTAssertEqual(all["tileDensity"]?.doubleValue, 1, estimator)
            XCTAssertEqual(all["recall"]?.doubleValue ?? 0, 1, accuracy: 1e-12, estimator)
            let e2e = try XCTUnwrap(all["endToEnd"], estimator)
            XCTAssertEqual(try XCTUnwrap(e2e["outputKL"]?.doubleValue), 0, accuracy: 1e-9, "\(estimator): every tile kept")
            XCTAssertEqual(e2e["top1Agreement"]?.doubleValue, 1, estimator)
            XCTAssertGreaterThan(try XCTUnwrap(e2e["attentionSecondsFull"]?.doubleValue), 0, estimator)
            XCTAssertGreaterThan(try XCTUnwrap(e2e["attentionSecondsPruned"]?.doubleValue), 0, estimator)
            XCTAssertEqual(e2e["denseAttentionFormed"], .bool(estimator == "oracle"), estimator)
            XCTAssertLessThan(try XCTUnwrap(few["tileDensity"]?.doubleValue), 1, estimator)
            XCTAssertGreaterThan(try XCTUnwrap(few["endToEnd"]?["outputKL"]?.doubleValue), 1e-6, "\(estimator): pruning moves the output")
        }
    }

    /// With `texts` each text's points are tile points; the aggregate and the recommendation keep
    /// the classic fields and say `window` for streaming.
    func testTextsAndRecommendationOfATileSweep() throws {
        let r = try client.request("pruneSweep", params: [
            "texts": ["The quick brown fox jumps over the lazy dog.", "A second, shorter text here."],
            "estimator": "streaming", "thresholds": [2, 8], "queryBlockSize": 2, "blockSizes": [2], "maxAttentionKL": 5,
        ], timeout: 120)
        let texts = try XCTUnwrap(r["texts"]?.array)
        XCTAssertEqual(texts.count, 2)
        for text in texts {
            for p in text["points"]?.array ?? [] {
                XCTAssertNotNil(p["tileDensity"]?.doubleValue)
                XCTAssertEqual(p["selection"], "window")
            }
        }
        let aggregate = try XCTUnwrap(r["aggregate"]?["points"]?.array)
        XCTAssertEqual(aggregate.map { $0["selection"] }, ["window", "window"])
        XCTAssertNil(aggregate[0]["tileDensity"])
        XCTAssertEqual(r["recommendation"]?.array.first?["point"]?["selection"], "window")
    }

    /// A cancel reaches a running tile sweep (scoring, estimator choice and pruned passes all poll it).
    func testCancellingARunningTileSweepAnswersCancelled() throws {
        let tokens: JSONValue = .array((0..<128).map { .int(Int64($0 * 3 % 512)) })
        let done = DispatchSemaphore(value: 0)
        var outcome: Result<JSONValue, RPCError>?
        let id = client.send("pruneSweep", params: ["tokens": tokens, "endToEnd": true, "estimator": "quest", "selection": "topK",
                                                    "queryBlockSize": 2, "thresholds": .array((1...64).map { .int(Int64($0)) }),
                                                    "blockSizes": .array((1...8).map { .int(Int64($0)) })]) { r in
            outcome = r; done.signal()
        }
        Thread.sleep(forTimeInterval: 0.5)
        let sent = Date()
        client.cancel(id)
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertLessThan(Date().timeIntervalSince(sent), 0.5, "answered within the protocol's 200 ms (test margin 500 ms)")
        guard case .failure(let e)? = outcome else { return XCTFail("expected -32800, got \(String(describing: outcome))") }
        XCTAssertEqual(e.code, .requestCancelled)
    }
}
