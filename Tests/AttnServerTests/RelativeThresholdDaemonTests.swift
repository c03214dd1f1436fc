import Foundation
import JSONRPC
import XCTest

/// `selection: "relativeThreshold"` through the real `attnd` on `tiny-peaked` (Protocol/README.md
/// §10, §11): its defaults, each row equal to `threshold` at that row's cut c/(q+1), one query
/// block of every query equal to `threshold` c/T for an estimator, the pruned pass, the corpus
/// settings, and range errors naming the field.
final class RelativeThresholdDaemonTests: XCTestCase {
    private var client: RPCClient!
    private let text = "The quick brown fox jumps over the lazy dog. The dog sleeps."

    override func setUpWithError() throws {
        client = try DaemonSupport.spawn(["--model", DaemonSupport.model("tiny-peaked"), "--no-history"])
    }

    override func tearDown() {
        if let client { DaemonSupport.stop(client) }
    }

    private func points(_ params: JSONValue) throws -> [JSONValue] {
        try XCTUnwrap(client.request("pruneSweep", params: params, timeout: 120)["points"]?.array)
    }

    func testSweepDefaultsAndLabels() throws {
        let ps = try points(["text": .string(text), "selection": "relativeThreshold", "blockSizes": [2]])
        XCTAssertEqual(ps.map { $0["threshold"]?.doubleValue ?? -1 }, [2, 1, 0.5, 0.25, 0.125])
        XCTAssertEqual(Set(ps.map { $0["selection"] }), ["relativeThreshold"])
        let pruned = ps.map { $0["prunedBlockFraction"]?.doubleValue ?? -1 }
        XCTAssertEqual(pruned, pruned.sorted(by: >), "a larger c prunes at least as much")
        XCTAssertGreaterThan(pruned[1], 0, "c = 1 prunes something on this model")
        let kl = try client.request("perPositionKL", params: ["text": .string(text), "selection": "relativeThreshold"])
        XCTAssertEqual(kl["layers"]?.array.count, 2)
    }

    /// Row q under relativeThreshold c is row q under threshold c/(q+1): per position, through the daemon.
    func testEachPositionEqualsThresholdAtItsOwnCut() throws {
        let c = 1.0
        let relative = try client.request("perPositionKL", params: [
            "text": .string(text), "selection": "relativeThreshold", "threshold": .double(c), "blockSize": 2,
        ])
        let n = try XCTUnwrap(relative["numTokens"]?.intValue)
        for q in [3, n / 2, n - 1] {
            let absolute = try client.request("perPositionKL", params: [
                "text": .string(text), "threshold": .double(c / Double(q + 1)), "blockSize": 2,
            ])
            for layer in 0..<2 {
                let want = try XCTUnwrap(absolute["layers"]?.array[layer]["values"]?.array[q].doubleValue)
                XCTAssertEqual(relative["layers"]?.array[layer]["values"]?.array[q].doubleValue, want, "layer \(layer) position \(q)")
            }
        }
    }

    /// Sweep points equal but for their label (`selection`, `threshold`) and the pruned pass's timings.
    private func assertSamePoint(_ a: JSONValue?, _ b: JSONValue?, _ label: String) throws {
        var got = try XCTUnwrap(a?.objectValue), want = try XCTUnwrap(b?.objectValue)
        XCTAssertEqual(got["selection"], "relativeThreshold", label)
        for key in ["outputKL", "top1Agreement", "nllFull", "nllPruned"] {
            XCTAssertEqual(got["endToEnd"]?[key], want["endToEnd"]?[key], "\(label) endToEnd.\(key)")
        }
        for key in ["selection", "threshold", "endToEnd"] {
            got[key] = nil
            want[key] = nil
        }
        XCTAssertEqual(JSONValue.object(got), JSONValue.object(want), label)
    }

    /// Where every deciding row sees the same number n of keys, relativeThreshold c is threshold
    /// c/n, end to end included: one query block holding all T queries (the oracle's tile cut is
    /// c/T), `lastQueries` at any Bq (its rows are the last queries: c/T), and a 2-token input on
    /// the per-row path (row 0 has one block and is never pruned; row 1 has n = 2).
    func testFixedRowLengthIsThresholdOverThatLength() throws {
        let t = try XCTUnwrap(client.request("tokenize", params: ["text": .string(text)])["tokens"]?.array.count)
        let cases: [(String, [String: JSONValue], Double)] = [
            ("oracle, one query block", ["text": .string(text), "queryBlockSize": 64, "blockSizes": [4]], Double(t)),
            ("lastQueries", ["text": .string(text), "queryBlockSize": 4, "blockSizes": [4], "estimator": "lastQueries",
                             "lastQueries": 6], Double(t)),
            ("per-row, T = 2", ["tokens": [17, 42], "blockSizes": [1]], 2),
        ]
        for (label, base, n) in cases {
            for c in [0.6, 1.0] {          // ≤ 1: row 0 (cut c) keeps its weight 1 under both rules
                var rel = base, abs = base
                rel["selection"] = "relativeThreshold"
                rel["thresholds"] = .array([.double(c)])
                rel["endToEnd"] = true
                abs["thresholds"] = .array([.double(c / n)])
                abs["endToEnd"] = true
                try assertSamePoint(points(.object(rel)).first, points(.object(abs)).first, "\(label) c \(c)")
            }
        }
    }

    func testEndToEndAndCorpusSettings() throws {
        let ps = try points(["text": .string(text), "selection": "relativeThreshold", "thresholds": [4, 0.25],
                             "blockSizes": [2], "endToEnd": true])
        let strong = try XCTUnwrap(ps[0]["endToEnd"]?["outputKL"]?.doubleValue)
        XCTAssertGreaterThan(strong, 0)
        XCTAssertGreaterThanOrEqual(strong, try XCTUnwrap(ps[1]["endToEnd"]?["outputKL"]?.doubleValue))
        let corpus = try client.request("evaluateCorpus", params: [
            "text": .string(text), "maxLength": 8,
            "settings": [["selection": "relativeThreshold", "threshold": 1, "blockSize": 2], ["selection": "relativeThreshold"]],
        ], timeout: 120)
        let settings = try XCTUnwrap(corpus["settings"]?.array)
        XCTAssertEqual(settings[0]["setting"]?["selection"], "relativeThreshold")
        XCTAssertEqual(settings[1]["setting"]?["threshold"]?.doubleValue, 0.5, "the default point value")
        XCTAssertNotNil(settings[0]["nll"]?.doubleValue)
    }

    func testRangeErrorsNameTheField() throws {
        let cases: [(String, JSONValue, String)] = [
            ("pruneSweep", ["text": "hi", "selection": "relativeThreshold", "thresholds": [1, 1025]], "thresholds[1]"),
            ("pruneSweep", ["text": "hi", "selection": "relativeThreshold", "thresholds": [0]], "thresholds[0]"),
            ("pruneSweep", ["text": "hi", "selection": "relativeThreshold", "estimator": "meanPool", "queryBlockSize": 4,
                            "thresholds": [-1]], "thresholds[0]"),
            ("perPositionKL", ["text": "hi", "selection": "relativeThreshold", "threshold": 2000], "threshold"),
            ("evaluateCorpus", ["text": "hi there", "settings": [["selection": "relativeThreshold", "threshold": 1e6]]],
             "settings[0].threshold"),
        ]
        for (method, params, field) in cases {
            let e = DaemonSupport.error(client, method, params)
            XCTAssertEqual(e?.code, .invalidParams, "\(method) \(params)")
            XCTAssertEqual(e?.data?["field"], .string(field), "\(method) \(params)")
            XCTAssertEqual(e?.data?["accepted"]?.stringValue, "a number in (0, 1024]", "\(method) \(params)")
        }
        let streaming = DaemonSupport.error(client, "pruneSweep", ["text": "hi", "estimator": "streaming", "selection": "relativeThreshold"])
        XCTAssertEqual(streaming?.data?["field"], "selection")
    }
}
