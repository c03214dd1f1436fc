import AttnProtocol
import Foundation
import JSONRPC
import XCTest

/// `pruneSweep`'s tile params (issue 13): `queryBlockSize`, `estimator` and the estimators'
/// own params — defaults, ranges (errors naming the field and the range), and the rule that
/// `window` goes with `streaming` and nothing else.
final class TileParamsTests: XCTestCase {
    private func refusal(_ params: JSONValue, file: StaticString = #filePath, line: UInt = #line)
        -> (field: String?, value: JSONValue?, accepted: String, message: String) {
        do {
            _ = try PruneSweepParams.decode(params)
            XCTFail("\(params) was accepted", file: file, line: line)
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidParams, file: file, line: line)
            return (error.data?["field"]?.stringValue, error.data?["value"], error.data?["accepted"]?.stringValue ?? "", error.message)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
        return (nil, nil, "", "")
    }

    func testDefaultsAreTodaysPerRowOracle() throws {
        let p = try PruneSweepParams.decode(["tokens": [1, 2]])
        XCTAssertEqual(p.queryBlockSize, 1)
        XCTAssertEqual(p.estimator, .oracle)
        XCTAssertEqual(p.stride, 8)
        XCTAssertEqual(p.lastQueries, 64)
        XCTAssertEqual(p.sinkTokens, 4)
        XCTAssertFalse(p.usesTiles, "queryBlockSize 1 + oracle is the per-row path")
        XCTAssertTrue(try PruneSweepParams.decode(["tokens": [1], "queryBlockSize": 2]).usesTiles)
        XCTAssertTrue(try PruneSweepParams.decode(["tokens": [1], "estimator": "quest"]).usesTiles)
        // Every default is spelled in the canonical form (the cache key, §8).
        let canonical = try p.canonical
        XCTAssertEqual(canonical["queryBlockSize"], 1)
        XCTAssertEqual(canonical["estimator"], "oracle")
        XCTAssertEqual(canonical["stride"], 8)
        XCTAssertEqual(canonical["lastQueries"], 64)
        XCTAssertEqual(canonical["sinkTokens"], 4)
    }

    func testEveryEstimatorIsAcceptedWithItsSelection() throws {
        for name in ["oracle", "meanPool", "lastQueries", "quest"] {
            let p = try PruneSweepParams.decode(["tokens": [1], "estimator": .string(name), "selection": "coverage"])
            XCTAssertEqual(p.estimator.rawValue, name)
            XCTAssertEqual(p.thresholds, [0.9, 0.95, 0.99, 0.999])
        }
        let anti = try PruneSweepParams.decode(["tokens": [1], "estimator": "antidiagonal", "queryBlockSize": 16, "blockSizes": [16, 32],
                                                "stride": 4])
        XCTAssertEqual(anti.stride, 4)
        // streaming: window by default, values in tokens.
        let streaming = try PruneSweepParams.decode(["tokens": [1], "estimator": "streaming", "sinkTokens": 0])
        XCTAssertEqual(streaming.selection, .window)
        XCTAssertEqual(streaming.thresholds, [16, 64, 256])
        XCTAssertEqual(streaming.sinkTokens, 0)
        XCTAssertEqual(try PruneSweepParams.decode(["tokens": [1], "estimator": "streaming", "thresholds": [1, 4096]]).thresholds, [1, 4096])
    }

    func testRangesAreRefusedNamingTheFieldAndTheRange() {
        var e = refusal(["tokens": [1], "queryBlockSize": 0])
        XCTAssertEqual(e.field, "queryBlockSize")
        XCTAssertEqual(e.accepted, "an integer in [1, 1024]")
        XCTAssertTrue(e.message.contains("queryBlockSize"), e.message)
        e = refusal(["tokens": [1], "queryBlockSize": 1025])
        XCTAssertEqual(e.field, "queryBlockSize")
        e = refusal(["tokens": [1], "queryBlockSize": 2.5])
        XCTAssertEqual(e.field, "queryBlockSize")
        e = refusal(["tokens": [1], "estimator": "xattention"])
        XCTAssertEqual(e.field, "estimator")
        XCTAssertEqual(e.accepted, #"one of "oracle", "meanPool", "antidiagonal", "lastQueries", "quest", "streaming""#)
        e = refusal(["tokens": [1], "stride": 0])
        XCTAssertEqual(e.field, "stride")
        XCTAssertEqual(e.accepted, "an integer in [1, 1024]")
        e = refusal(["tokens": [1], "lastQueries": 0])
        XCTAssertEqual(e.field, "lastQueries")
        XCTAssertEqual(e.accepted, "an integer in [1, 4096]")
        e = refusal(["tokens": [1], "sinkTokens": -1])
        XCTAssertEqual(e.field, "sinkTokens")
        XCTAssertEqual(e.accepted, "an integer in [0, 4096]")
        e = refusal(["tokens": [1], "estimator": "streaming", "thresholds": [16, 0.5]])
        XCTAssertEqual(e.field, "thresholds[1]")
        XCTAssertEqual(e.accepted, "an integer in [1, 4096]")
    }

    func testAntidiagonalStrideMustDivideBothBlockSizes() {
        // The default queryBlockSize 1 is no multiple of the default stride 8.
        var e = refusal(["tokens": [1], "estimator": "antidiagonal"])
        XCTAssertEqual(e.field, "stride")
        XCTAssertEqual(e.value, .null, "stride was not given")
        XCTAssertTrue(e.accepted.contains("dividing queryBlockSize and every blockSizes value (1 is not a multiple of 8)"), e.accepted)
        e = refusal(["tokens": [1], "estimator": "antidiagonal", "queryBlockSize": 16, "blockSizes": [16, 20], "stride": 8])
        XCTAssertEqual(e.field, "stride")
        XCTAssertEqual(e.value, 8)
        XCTAssertTrue(e.accepted.contains("(20 is not a multiple of 8)"), e.accepted)
        // Other estimators do not read stride, so it is not checked against the block sizes.
        XCTAssertNoThrow(try PruneSweepParams.decode(["tokens": [1], "estimator": "meanPool", "stride": 7]))
    }

    func testWindowGoesWithStreamingOnly() {
        var e = refusal(["tokens": [1], "selection": "window"])
        XCTAssertEqual(e.field, "selection")
        XCTAssertEqual(e.accepted, #"one of "threshold", "coverage", "topK", "relativeThreshold" ("window" is for estimator "streaming")"#)
        e = refusal(["tokens": [1], "estimator": "quest", "selection": "window"])
        XCTAssertEqual(e.field, "selection")
        e = refusal(["tokens": [1], "estimator": "streaming", "selection": "topK"])
        XCTAssertEqual(e.field, "selection")
        XCTAssertEqual(e.value, "topK")
        XCTAssertEqual(e.accepted, #""window" (the only selection of estimator "streaming")"#)
        do {
            _ = try PerPositionKLParams.decode(["tokens": [1], "selection": "window"])
            XCTFail("perPositionKL accepted window without streaming")
        } catch let error as RPCError {
            XCTAssertEqual(error.data?["field"], "selection")
            XCTAssertEqual(error.data?["accepted"], #"one of "threshold", "coverage", "topK", "relativeThreshold" ("window" is for estimator "streaming")"#)
        } catch { XCTFail("\(error)") }
    }

    /// perPositionKL reads the same tile fields as pruneSweep, with its one `blockSize` as Bk.
    func testPerPositionKLReadsTheTileFields() throws {
        let plain = try PerPositionKLParams.decode(["tokens": [1]])
        XCTAssertFalse(plain.usesTiles)
        XCTAssertEqual(plain.queryBlockSize, 1)
        XCTAssertEqual(plain.estimator, .oracle)
        let streaming = try PerPositionKLParams.decode(["tokens": [1], "estimator": "streaming", "queryBlockSize": 8, "sinkTokens": 2])
        XCTAssertTrue(streaming.usesTiles)
        XCTAssertEqual(streaming.selection, .window)
        XCTAssertEqual(streaming.threshold, 64, "window's default point value, tokens")
        XCTAssertEqual(streaming.sinkTokens, 2)
        let window = try PerPositionKLParams.decode(["tokens": [1], "estimator": "streaming", "threshold": 16])
        XCTAssertEqual(window.threshold, 16)
        do {
            _ = try PerPositionKLParams.decode(["tokens": [1], "estimator": "streaming", "threshold": 0.5])
            XCTFail("a fractional window was accepted")
        } catch let error as RPCError { XCTAssertEqual(error.data?["field"], "threshold") }
        do {
            _ = try PerPositionKLParams.decode(["tokens": [1], "estimator": "antidiagonal", "blockSize": 12, "queryBlockSize": 16])
            XCTFail("a stride not dividing blockSize was accepted")
        } catch let error as RPCError {
            XCTAssertEqual(error.data?["field"], "stride")
            XCTAssertTrue(error.data?["accepted"]?.stringValue?.contains("dividing queryBlockSize and blockSize (12 is not a multiple of 8)") ?? false,
                          "\(String(describing: error.data?["accepted"]))")
        }
        // The tile fields are part of the canonical params, so they key the cache.
        let canonical = try XCTUnwrap(streaming.canonical.objectValue)
        XCTAssertEqual(canonical["queryBlockSize"], 8)
        XCTAssertEqual(canonical["estimator"], "streaming")
    }

    /// The tile fields are absent from a per-row point's JSON (today's bytes) and round-trip on a tile point.
    func testTileFieldsAreAbsentOnPerRowPointsAndRoundTrip() throws {
        var point = SweepPoint(selection: .threshold, blockSize: 4, threshold: 0.01, prunedBlockFraction: 0.5, seedPrunedFraction: 0.7,
                               prunedMass: 0.1, attentionKL: 0.2, seedKL: 3, fullyPrunedRows: 0,
                               endToEnd: EndToEnd(outputKL: 0, top1Agreement: 1, nllFull: nil, nllPruned: nil,
                                                  perplexityFull: nil, perplexityPruned: nil))
        let perRow = try JSONValue(encoding: point)
        for field in ["tileDensity", "computedFraction", "recall", "recallP5", "estimatorMultiplyAdds"] {
            XCTAssertNil(perRow[field], field)
        }
        XCTAssertEqual(perRow["endToEnd"]?.objectValue?.keys.sorted(),
                       ["nllFull", "nllPruned", "outputKL", "perplexityFull", "perplexityPruned", "top1Agreement"])
        point.tileDensity = 0.25
        point.computedFraction = 0.4
        point.recall = 0.9
        point.recallP5 = 0.6
        point.estimatorMultiplyAdds = 1234
        point.endToEnd?.attentionSecondsFull = 0.5
        point.endToEnd?.attentionSecondsPruned = 0.2
        point.endToEnd?.denseAttentionFormed = false
        let tiled = try JSONValue(encoding: point)
        XCTAssertEqual(tiled["estimatorMultiplyAdds"], 1234)
        XCTAssertEqual(tiled["endToEnd"]?["attentionSecondsPruned"], 0.2)
        XCTAssertEqual(try tiled.decode(SweepPoint.self), point)
    }
}
