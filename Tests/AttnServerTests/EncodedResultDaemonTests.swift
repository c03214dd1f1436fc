import AttnProtocol
import Foundation
import JSONRPC
import XCTest

/// An analysis result is encoded once (`EncodedResult`): the response is exactly what the typed
/// result encodes to (what the registry used to send), the stored run is that response without
/// the unstored members, and a cache hit answers the same numbers.
final class EncodedResultDaemonTests: XCTestCase {
    private var folder: URL!
    private var client: RPCClient!

    override func setUpWithError() throws {
        folder = try DaemonSupport.temporaryFolder()
        client = try DaemonSupport.spawn(["--model", DaemonSupport.model("tiny-peaked"),
                                          "--db", folder.appendingPathComponent("runs.sqlite").path])
    }

    override func tearDown() {
        if let client { DaemonSupport.stop(client) }
        try? FileManager.default.removeItem(at: folder)
    }

    private func withoutMembers(_ value: JSONValue, _ names: [String]) -> JSONValue {
        var members = value.objectValue ?? [:]
        for name in names { members[name] = nil }
        return .object(members)
    }

    func testForwardResponseIsTheTypedEncodingAndTheStoredRunLacksOnlyTheLogits() throws {
        let params: JSONValue = ["text": "the cat sat on the mat", "topK": 4, "includeLogits": true]
        let wire = try client.request("forward", params: params)
        // Decoded into the typed result and encoded the old way (`JSONValue(encoding:)`), the same value:
        // so the same bytes, JSONWriter being a function of the value.
        let typed = try wire.decode(ForwardResponse.self)
        XCTAssertEqual(try JSONValue(encoding: typed), wire)
        XCTAssertEqual(JSONWriter.data(try JSONValue(encoding: typed)), JSONWriter.data(wire))
        XCTAssertNotNil(wire["logits"])
        XCTAssertEqual(wire["top"]?.array.first?.array.count, 4)

        let run = try client.request("runs/get", params: ["id": wire["runId"]!])
        XCTAssertEqual(run["result"], withoutMembers(wire, ["logits"]))
    }

    func testSweepAndProfileAreStoredAsAnsweredAndCacheHitsAnswerTheSame() throws {
        for (method, params) in [("pruneSweep", ["text": "two words here", "blockSizes": [2], "endToEnd": true]),
                                 ("profileAttention", ["text": "two words here"])] as [(String, JSONValue)] {
            let first = try client.request(method, params: params)
            let typedEqual: Bool
            switch method {
            case "pruneSweep": typedEqual = try JSONValue(encoding: first.decode(PruneSweepResponse.self)) == first
            default: typedEqual = try JSONValue(encoding: first.decode(ProfileAttentionResponse.self)) == first
            }
            XCTAssertTrue(typedEqual, method)
            let run = try client.request("runs/get", params: ["id": first["runId"]!])
            XCTAssertEqual(run["result"], first, method)
            let again = try client.request(method, params: params)
            XCTAssertEqual(again["cached"], true, method)
            XCTAssertEqual(withoutMembers(again, ["cached"]), withoutMembers(first, ["cached"]), method)
        }
    }
}
