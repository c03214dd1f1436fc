import Foundation
import JSONRPC
import XCTest

/// `perPositionKL` on the tile path through the real `attnd` on `tiny-peaked` (L = 2, H = 4):
/// its rows are the rows a `pruneSweep` tile point of the same settings scores, so the mean of
/// `prunedMass` over layers and positions equals that point's `prunedMass` (= 1 − recall), and
/// its `attentionKL` mean equals the point's — for the oracle and for every estimator.
final class TilePerPositionDaemonTests: XCTestCase {
    private var client: RPCClient!
    private let text = "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog again and again."

    override func setUpWithError() throws {
        client = try DaemonSupport.spawn(["--model", DaemonSupport.model("tiny-peaked"), "--no-history"])
    }

    override func tearDown() {
        if let client { DaemonSupport.stop(client) }
    }

    private func meanOfValues(_ params: [String: JSONValue]) throws -> Double {
        let layers = try XCTUnwrap(client.request("perPositionKL", params: .object(params), timeout: 120)["layers"]?.array)
        XCTAssertEqual(layers.count, 2)
        let values = layers.flatMap { $0["values"]?.array.compactMap(\.doubleValue) ?? [] }
        XCTAssertFalse(values.isEmpty)
        return values.reduce(0, +) / Double(values.count)
    }

    func testRowsAreThoseOfTheSweepsTilePoint() throws {
        let cases: [(String, [String: JSONValue])] = [
            ("oracle", ["selection": "coverage", "threshold": 0.7]),
            ("meanPool", ["selection": "coverage", "threshold": 0.7, "keepSink": true]),
            ("antidiagonal", ["selection": "coverage", "threshold": 0.7, "stride": 2]),
            ("lastQueries", ["selection": "topK", "threshold": 1, "lastQueries": 8]),
            ("quest", ["selection": "topK", "threshold": 1, "keepLocal": true]),
            ("streaming", ["threshold": 4, "sinkTokens": 1]),
        ]
        for (estimator, extra) in cases {
            var kl: [String: JSONValue] = ["text": .string(text), "estimator": .string(estimator), "queryBlockSize": 4, "blockSize": 4]
            kl.merge(extra) { $1 }
            var sweep = kl
            sweep["blockSizes"] = [4]
            sweep["thresholds"] = .array([kl["threshold"]!])
            sweep["threshold"] = nil
            sweep["blockSize"] = nil
            let point = try XCTUnwrap(client.request("pruneSweep", params: .object(sweep), timeout: 120)["points"]?.array.first)
            let prunedMass = try XCTUnwrap(point["prunedMass"]?.doubleValue)
            let attentionKL = try XCTUnwrap(point["attentionKL"]?.doubleValue)
            kl["metric"] = "prunedMass"
            XCTAssertEqual(try meanOfValues(kl), prunedMass, accuracy: 1e-9, "\(estimator) prunedMass")
            kl["metric"] = "attentionKL"
            XCTAssertEqual(try meanOfValues(kl), attentionKL, accuracy: 1e-9 * max(1, attentionKL), "\(estimator) attentionKL")
            if estimator != "oracle" {
                XCTAssertGreaterThan(prunedMass, 0, "\(estimator) prunes something at these settings")
            }
        }
    }

    func testQueryBlockSizeOneWithTheOracleIsThePerRowPath() throws {
        let base: [String: JSONValue] = ["text": .string(text), "threshold": 0.05, "blockSize": 4, "metric": "seedKL", "force": true]
        var spelled = base
        spelled["queryBlockSize"] = 1
        spelled["estimator"] = "oracle"
        let today = try client.request("perPositionKL", params: .object(base), timeout: 120)["layers"]
        let explicit = try client.request("perPositionKL", params: .object(spelled), timeout: 120)["layers"]
        XCTAssertEqual(explicit, today)
    }

    /// `profileAttention.blockMasks` with queryBlockSize 4: the rows of one query block share
    /// their tiles (a row that falls back to dense is all `1`).
    func testProfileBlockMasksShareTilesWithinAQueryBlock() throws {
        let result = try client.request("profileAttention", params: ["text": .string(text), "includeAttention": true, "blockSize": 4,
                                                                     "queryBlockSize": 4, "thresholds": [0.1, 0.3]], timeout: 120)
        let masks = try XCTUnwrap(result["blockMasks"]?.array)
        XCTAssertEqual(masks.count, 2)
        var checkedRows = 0, prunedTiles = 0
        for mask in masks {
            for layer in mask["kept"]?.array ?? [] {
                for head in layer.array {
                    let rows = head.array.compactMap(\.stringValue)
                    XCTAssertGreaterThan(rows.count, 8)
                    for start in stride(from: 0, to: rows.count, by: 4) {
                        let block = rows[start..<min(start + 4, rows.count)].filter { $0.contains("0") }   // not fallen back
                        guard let first = block.first else { continue }
                        for row in block {
                            checkedRows += 1
                            XCTAssertEqual(row.count, first.count, "rows of one query block see the same key blocks (B = Bq = 4)")
                            XCTAssertEqual(row, first, "query block at \(start)")
                        }
                        prunedTiles += first.filter { $0 == "0" }.count
                    }
                }
            }
        }
        XCTAssertGreaterThan(checkedRows, 0)
        XCTAssertGreaterThan(prunedTiles, 0, "the thresholds prune some tiles")
    }
}
