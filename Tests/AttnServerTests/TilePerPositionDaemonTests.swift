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
}
