import AttnProtocol
import Foundation
import JSONRPC
import XCTest

/// `profileAttention`'s head roles through the real daemon on tiny-peaked: the numpy reference
/// on HuggingFace's attention (`analysis/head_roles_tiny-peaked.json`, 1e-6), the model-bound
/// range of `inductionLength`, and the `texts` aggregate.
final class HeadRolesDaemonTests: XCTestCase {
    private var client: RPCClient!

    override func setUpWithError() throws {
        client = try DaemonSupport.spawn(["--model", DaemonSupport.model("tiny-peaked"), "--no-history"])
    }

    override func tearDown() {
        if let client { DaemonSupport.stop(client) }
    }

    func testHeadRolesMatchTheHuggingFaceGolden() throws {
        let url = DaemonSupport.fixtures.appendingPathComponent("analysis/head_roles_tiny-peaked.json")
        let golden = try JSONParser.parse(Data(contentsOf: url))
        var params = try XCTUnwrap(golden["params"]?.objectValue)
        params["tokens"] = golden["tokens"]
        let r = try client.request("profileAttention", params: .object(params), timeout: 60)
        let got = (r["layers"]?.array ?? []).flatMap { $0["heads"]?.array ?? [] }
        let want = golden["heads"]?.array ?? []
        XCTAssertEqual(got.count, 8)
        XCTAssertEqual(got.count, want.count)
        for (g, w) in zip(got, want) {
            let label = "layer \(w["layer"] ?? .null) head \(w["head"] ?? .null)"
            for field in ["sinkScore", "localScore", "previousTokenScore", "duplicateTokenScore", "inductionScore", "streamingMass"] {
                XCTAssertEqual(try XCTUnwrap(g[field]?.doubleValue, "\(label) \(field)"), try XCTUnwrap(w[field]?.doubleValue),
                               accuracy: 1e-6, "\(label) \(field)")
            }
            XCTAssertEqual(g["role"], w["role"], label)
            XCTAssertEqual(g["streamingHead"], w["streamingHead"], label)
        }
    }

    /// The induction scores are kept with the loaded model per (seed, length): a second request
    /// (with `force`) reuses them, and a fresh load of the same model recomputes the same bits;
    /// another seed gives other scores.
    func testInductionScoresAreKeptPerModelAndSetting() throws {
        func induction(_ seed: Int) throws -> [Double] {
            let r = try client.request("profileAttention", params: ["text": "a short text", "inductionSeed": .int(Int64(seed)),
                                                                     "force": true], timeout: 60)
            return try (r["layers"]?.array ?? []).flatMap { $0["heads"]?.array ?? [] }.map {
                try XCTUnwrap($0["inductionScore"]?.doubleValue)
            }
        }
        let first = try induction(3)
        XCTAssertEqual(first.count, 8)
        XCTAssertEqual(try induction(3), first)
        _ = try client.request("model/load", params: ["path": .string(DaemonSupport.model("tiny-peaked"))], timeout: 60)
        XCTAssertEqual(try induction(3), first, "recomputed after a load: the same bits")
        XCTAssertNotEqual(try induction(4), first)
    }

    /// 2n + 1 must fit nPositions = 128: n = 63 is accepted, 64 is refused before any work
    /// with the model's range.
    func testInductionLengthIsBoundByTheModel() throws {
        let e = try XCTUnwrap(DaemonSupport.error(client, "profileAttention", ["tokens": [1, 2, 3], "inductionLength": 64]))
        XCTAssertEqual(e.code, .invalidParams)
        XCTAssertEqual(e.data?["field"], "inductionLength")
        XCTAssertEqual(e.data?["value"], 64)
        XCTAssertTrue(e.data?["accepted"]?.stringValue?.contains("1...63") == true, e.data?["accepted"]?.stringValue ?? "")
        let ok = try client.request("profileAttention", params: ["tokens": [1, 2, 3], "inductionLength": 63], timeout: 60)
        XCTAssertNotNil(ok["layers"]?.array.first?["heads"]?.array.first?["inductionScore"]?.doubleValue)
    }

    /// With `texts`: one induction measurement shared by every text and the aggregate; the
    /// text scores become Stats; role and streamingHead are present per aggregate head.
    func testTextsShareTheInductionScoreAndAggregateTheRest() throws {
        let r = try client.request("profileAttention", params: ["texts": ["The quick brown fox", "jumps over the lazy dog"]], timeout: 60)
        let texts = try XCTUnwrap(r["texts"]?.array)
        let aggregate = try XCTUnwrap(r["aggregate"]?["heads"]?.array)
        for (i, head) in aggregate.enumerated() {
            let perText = texts.map { t in (t["layers"]?.array ?? []).flatMap { $0["heads"]?.array ?? [] }[i] }
            XCTAssertEqual(perText[0]["inductionScore"], perText[1]["inductionScore"])
            XCTAssertEqual(head["inductionScore"], perText[0]["inductionScore"])
            let means = perText.compactMap { $0["previousTokenScore"]?.doubleValue }
            XCTAssertEqual(try XCTUnwrap(head["previousTokenScore"]?["mean"]?.doubleValue), means.reduce(0, +) / 2, accuracy: 1e-15)
            XCTAssertEqual(head["previousTokenScore"]?["n"], 2)
            XCTAssertNotNil(head["role"]?.stringValue)
            XCTAssertNotNil(head["streamingHead"])
        }
    }
}
