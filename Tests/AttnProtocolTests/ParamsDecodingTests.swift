import AttnProtocol
import Foundation
import JSONRPC
import XCTest

/// The params types read strictly (path + accepted range), fill defaults, and round-trip.
final class ParamsDecodingTests: XCTestCase {
    private func invalid<P: MethodParams>(_ type: P.Type, _ params: JSONValue) -> (field: String?, accepted: String?) {
        do {
            _ = try P.decode(params)
            XCTFail("\(params) was accepted")
            return (nil, nil)
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidParams)
            return (error.data?["field"]?.stringValue, error.data?["accepted"]?.stringValue)
        } catch {
            XCTFail("\(error)")
            return (nil, nil)
        }
    }

    func testDefaultsAreFilledIn() throws {
        let sweep = try PruneSweepParams.decode(["tokens": [1, 2]])
        XCTAssertEqual(sweep.selection, .threshold)
        XCTAssertEqual(sweep.thresholds, [0.01, 0.005, 0.002, 0.001, 0.0005])
        XCTAssertEqual(sweep.blockSizes, [16, 32])
        XCTAssertEqual(sweep.seedEpsilon, 1e-12)
        XCTAssertNil(sweep.maxAttentionKL)
        let topK = try PruneSweepParams.decode(["tokens": [1], "selection": "topK"])
        XCTAssertEqual(topK.thresholds, [1, 2, 4, 8])
        let point = try PerPositionKLParams.decode(["text": "a", "selection": "coverage"])
        XCTAssertEqual(point.threshold, 0.99)
        XCTAssertEqual(point.blockSize, 32)
        let profile = try ProfileAttentionParams.decode(["texts": ["a", "b"]])
        XCTAssertEqual(profile.blockSize, 4)
        XCTAssertEqual(profile.thresholds, [0.05, 0.1, 0.2, 0.5])
        XCTAssertEqual(try ForwardParams.decode(["tokens": [3]]).topK, 5)
    }

    func testRelativeThresholdDefaultsAndRange() throws {
        let sweep = try PruneSweepParams.decode(["tokens": [1], "selection": "relativeThreshold"])
        XCTAssertEqual(sweep.thresholds, [2, 1, 0.5, 0.25, 0.125])
        XCTAssertEqual(try PerPositionKLParams.decode(["tokens": [1], "selection": "relativeThreshold"]).threshold, 0.5)
        let wide = try PruneSweepParams.decode(["tokens": [1], "selection": "relativeThreshold", "thresholds": [1024, 3, 1e-6]])
        XCTAssertEqual(wide.thresholds, [1024, 3, 1e-6])
        var e = invalid(PruneSweepParams.self, ["tokens": [1], "selection": "relativeThreshold", "thresholds": [2, 1024.5]])
        XCTAssertEqual(e.field, "thresholds[1]")
        XCTAssertEqual(e.accepted, "a number in (0, 1024]")
        e = invalid(PerPositionKLParams.self, ["tokens": [1], "selection": "relativeThreshold", "threshold": 0])
        XCTAssertEqual(e.field, "threshold")
        XCTAssertEqual(e.accepted, "a number in (0, 1024]")
        e = invalid(PruneSweepParams.self, ["tokens": [1], "selection": "relativeThreshold", "estimator": "streaming"])
        XCTAssertEqual(e.field, "selection")
        // threshold keeps its own range.
        e = invalid(PruneSweepParams.self, ["tokens": [1], "thresholds": [2]])
        XCTAssertEqual(e.accepted, "a number in (0, 1]")
        let setting = try EvaluateCorpusParams.decode(["text": "a b", "settings": [["selection": "relativeThreshold", "threshold": 8]]])
        XCTAssertEqual(setting.settings.first?.selection, .relativeThreshold)
        XCTAssertEqual(setting.settings.first?.threshold, 8)
    }

    func testASweepOverTheWorkCapIsRefusedNamingTheProductAndTheCap() throws {
        let values: JSONValue = .array((1...64).map { .double(Double($0) / 128) })
        let sizes: JSONValue = .array((1...64).map { .int(Int64($0)) })
        let texts: JSONValue = .array((0..<64).map { .string("text \($0)") })
        func refusal(_ params: JSONValue) -> RPCError? {
            do { _ = try PruneSweepParams.decode(params); return nil } catch { return error as? RPCError }
        }
        // 64 texts × 64 × 64 = 262144 points, without and with endToEnd.
        let points = try XCTUnwrap(refusal(["texts": texts, "thresholds": values, "blockSizes": sizes]))
        XCTAssertEqual(points.code, .invalidParams)
        XCTAssertTrue(points.message.contains("64 × 64 × 64 = 262144 sweep points"), points.message)
        XCTAssertTrue(points.message.contains("cap of 16384"), points.message)
        XCTAssertEqual(points.data?["field"], "texts × blockSizes × thresholds")
        let passes = try XCTUnwrap(refusal(["text": "a", "thresholds": values, "blockSizes": sizes, "endToEnd": true]))
        XCTAssertTrue(passes.message.contains("1 × 64 × 64 = 4096 end-to-end passes"), passes.message)
        XCTAssertTrue(passes.message.contains("cap of 2048"), passes.message)
        // At the caps exactly: accepted.
        let half: JSONValue = .array((1...32).map { .int(Int64($0)) })
        XCTAssertNil(refusal(["text": "a", "thresholds": values, "blockSizes": half, "endToEnd": true]))
        XCTAssertNil(refusal(["texts": .array((0..<4).map { .string("t\($0)") }), "thresholds": values, "blockSizes": sizes]))
        XCTAssertEqual(ProtocolLimits.maxEndToEndPasses, 32 * 64)
        XCTAssertEqual(ProtocolLimits.maxSweepPoints, 4 * 64 * 64)
    }

    /// Path params refuse a NUL byte (C would cut the path at it) and `..` segments (issue 18 item 2, 8).
    func testPathParamsRefuseNulAndDotDot() throws {
        let nul = "a path without NUL bytes", dots = "a path without `..` segments"
        var r = invalid(ProfileAttentionParams.self, ["text": "x", "exportPath": "/tmp/keep.txt\u{0}.npy"])
        XCTAssertEqual(r.field, "exportPath"); XCTAssertEqual(r.accepted, nul)
        r = invalid(ProfileAttentionParams.self, ["text": "x", "exportPath": "/tmp/a/../b.npy"])
        XCTAssertEqual(r.field, "exportPath"); XCTAssertEqual(r.accepted, dots)
        r = invalid(ModelLoadParams.self, ["path": "/models/../etc"])
        XCTAssertEqual(r.field, "path"); XCTAssertEqual(r.accepted, dots)
        r = invalid(ModelLoadParams.self, ["path": "/models/gpt2\u{0}"])
        XCTAssertEqual(r.field, "path"); XCTAssertEqual(r.accepted, nul)
        r = invalid(ModelLoadParams.self, ["name": "org/../gpt2"])
        XCTAssertEqual(r.field, "name"); XCTAssertEqual(r.accepted, dots)
        // Names that only look alike are fine.
        XCTAssertEqual(try ProfileAttentionParams.decode(["text": "x", "exportPath": "/tmp/a..b/..c.npy"]).exportPath, "/tmp/a..b/..c.npy")
        XCTAssertEqual(try ProfileAttentionParams.decode(["text": "x", "exportPath": "rel/a.npy"]).exportPath, "rel/a.npy",
                       "relative paths are the daemon's call (--export-dir)")
        XCTAssertNil(PathRules.problem(in: "/a/./b"))
    }

    func testErrorsNameThePathAndTheRange() {
        var e = invalid(PruneSweepParams.self, ["tokens": [1], "thresholds": [0.1, 0.2, 1.5]])
        XCTAssertEqual(e.field, "thresholds[2]")
        XCTAssertEqual(e.accepted, "a number in (0, 1]")
        e = invalid(PruneSweepParams.self, ["tokens": [1], "selection": "topK", "thresholds": [0]])
        XCTAssertEqual(e.field, "thresholds[0]")
        XCTAssertEqual(e.accepted, "an integer in [1, 1000000]")
        e = invalid(PruneSweepParams.self, ["tokens": [1], "seedEpsilon": 1e-301])
        XCTAssertEqual(e.field, "seedEpsilon")
        XCTAssertEqual(e.accepted, "a number in [1e-300, 0.001]")
        e = invalid(PruneSweepParams.self, ["tokens": [1], "thresold": 0.1])
        XCTAssertEqual(e.field, "thresold")
        XCTAssertTrue(e.accepted?.hasPrefix("a known field: ") ?? false, e.accepted ?? "")
        e = invalid(PerPositionKLParams.self, ["texts": ["a"]])
        XCTAssertEqual(e.field, "texts")
        e = invalid(ForwardParams.self, [:])
        XCTAssertEqual(e.field, "text|tokens")
        e = invalid(ProfileAttentionParams.self, ["tokens": [1], "text": "a"])
        XCTAssertEqual(e.field, "tokens")
        e = invalid(ProfileAttentionParams.self, ["texts": ["a"], "includeAttention": true])
        XCTAssertEqual(e.field, "includeAttention")
        e = invalid(PruneSweepParams.self, ["tokens": [1], "maxOutputKL": 0.1])
        XCTAssertEqual(e.field, "maxOutputKL")
        e = invalid(ModelLoadParams.self, ["path": "relative/model"])
        XCTAssertEqual(e.field, "path")
        e = invalid(RunsReportParams.self, ["ids": ["not-a-uuid"]])
        XCTAssertEqual(e.field, "ids[0]")
    }

    /// The head-role params: defaults spelled out in the cache key, every change a new key,
    /// and refusals naming the field and its range.
    func testHeadRoleParams() throws {
        let base = try ProfileAttentionParams.decode(["tokens": [1]]).canonical
        XCTAssertEqual(base["localWindow"], 4)
        XCTAssertEqual(base["inductionSeed"], 0)
        XCTAssertEqual(base["inductionLength"], 50)
        XCTAssertEqual(base["streamingSinkTokens"], 4)
        XCTAssertEqual(base["streamingWindow"], 64)
        XCTAssertEqual(base["streamingMinMass"], 0.9)
        XCTAssertEqual(base["roleThreshold"], 0.4)
        let changes: [String: JSONValue] = ["localWindow": 8, "inductionSeed": 1, "inductionLength": 20, "streamingSinkTokens": 0,
                                            "streamingWindow": 16, "streamingMinMass": 0.5, "roleThreshold": 0.3]
        for (field, value) in changes {
            let other = try ProfileAttentionParams.decode(["tokens": [1], field: value]).canonical
            XCTAssertNotEqual(other, base, "\(field) must enter the cache key")
        }
        let refusals: [(String, JSONValue, String)] = [
            ("localWindow", 0, "1"), ("inductionSeed", -1, "0"), ("inductionLength", 0, "1"), ("streamingSinkTokens", -1, "0"),
            ("streamingWindow", 4097, "4096"), ("streamingMinMass", 0, "(0, 1]"), ("roleThreshold", 1.5, "(0, 1]"),
        ]
        for (field, value, range) in refusals {
            let e = invalid(ProfileAttentionParams.self, ["tokens": [1], field: value])
            XCTAssertEqual(e.field, field)
            XCTAssert(e.accepted?.contains(range) == true, "\(field): \(e.accepted ?? "nil")")
        }
    }

    /// `JSONDecoder` goes through the same strict reader.
    func testCodableDecodingIsTheStrictReader() throws {
        let ok = try JSONDecoder().decode(PruneSweepParams.self, from: Data(#"{"tokens":[1],"blockSizes":[8]}"#.utf8))
        XCTAssertEqual(ok.blockSizes, [8])
        XCTAssertThrowsError(try JSONDecoder().decode(PruneSweepParams.self, from: Data(#"{"tokens":[1],"blockSizes":[0]}"#.utf8))) {
            XCTAssertEqual(($0 as? RPCError)?.data?["field"], "blockSizes[0]")
        }
    }

    /// The encoding of decoded params decodes to the same value (the canonical form is a
    /// request the daemon accepts).
    func testEncodingRoundTrips() throws {
        let sweep = try PruneSweepParams.decode(["text": "hi", "selection": "topK", "maxAttentionKL": 0.5, "keepSink": true])
        XCTAssertEqual(try PruneSweepParams.decode(sweep.encoded), sweep)
        let point = try PerPositionKLParams.decode(["tokens": [1, 2], "segmentSize": 3, "metric": "seedKL"])
        XCTAssertEqual(try PerPositionKLParams.decode(point.encoded), point)
        let profile = try ProfileAttentionParams.decode(["texts": ["a"], "thresholds": [0.3]])
        XCTAssertEqual(try ProfileAttentionParams.decode(profile.encoded), profile)
        XCTAssertEqual(try ForwardParams.decode(ForwardParams.decode(["tokens": [1]]).encoded), try ForwardParams.decode(["tokens": [1]]))
    }

    /// The canonical form drops exactly the documented non-semantic fields.
    func testCanonicalDropsOnlyNonSemanticFields() throws {
        let p = try ProfileAttentionParams.decode(["text": "x", "exportPath": "/tmp/a.npy", "overwrite": true, "force": true])
        let canonical = try XCTUnwrap(p.canonical.objectValue)
        XCTAssertEqual(Set(canonical.keys), ["blockSize", "thresholds", "entryThreshold", "includeAttention", "queryBlockSize",
                                             "localWindow", "inductionSeed", "inductionLength", "streamingSinkTokens",
                                             "streamingWindow", "streamingMinMass", "roleThreshold"],
                       "queryBlockSize shapes blockMasks and the head-role params the roles, so they key the cache")
        let topK = try PruneSweepParams.decode(["tokens": [1], "selection": "topK"]).canonical
        XCTAssertEqual(topK["thresholds"], [1, 2, 4, 8])  // integers on the wire
    }
}
