import AttnServer
import Foundation
import JSONRPC
import XCTest

final class FramingAndBatchTests: XCTestCase {
    private let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#

    func testBatchIsAnsweredAsOneArrayInOrder() throws {
        let harness = ServerHarness()
        let client = try harness.connectRaw()
        client.send(initialize)
        XCTAssertEqual(client.frames(atLeast: 1).count, 1)
        client.send("""
        [{"jsonrpc":"2.0","id":10,"method":"test/echo","params":{"value":1}},
         {"jsonrpc":"2.0","method":"test/echo","params":{"value":"notification"}},
         5,
         {"jsonrpc":"2.0","id":11,"method":"test/sleep","params":{"ms":30}},
         {"jsonrpc":"2.0","id":12,"method":"no/such"}]
        """)
        let frames = client.frames(atLeast: 2)
        XCTAssertEqual(frames.count, 2)
        guard let batch = frames.last?.arrayValue else { return XCTFail("not an array: \(String(describing: frames.last))") }
        XCTAssertEqual(batch.count, 4, "the notification gets no entry")
        XCTAssertEqual(batch.map { $0["id"] }, [10, .null, 11, 12])
        XCTAssertEqual(batch[0]["result"], ["value": 1])
        XCTAssertEqual(batch[1]["error"]?["code"], -32600)
        XCTAssertEqual(batch[2]["result"], ["slept": 30], "a compute request inside a batch is waited for")
        XCTAssertEqual(batch[3]["error"]?["code"], -32601)
    }

    func testBatchOfNotificationsGetsNoResponseAndEmptyBatchIsInvalid() throws {
        let harness = ServerHarness()
        let client = try harness.connectRaw()
        client.send(initialize)
        _ = client.frames(atLeast: 1)
        client.send(#"[{"jsonrpc":"2.0","method":"initialized"},{"jsonrpc":"2.0","method":"x/y"}]"#)
        client.send("[]")
        client.send(#"{"jsonrpc":"2.0","id":2,"method":"test/echo"}"#)
        let frames = client.frames(atLeast: 3)
        XCTAssertEqual(frames.count, 3)
        XCTAssertEqual(frames[1]["error"]?["code"], -32600, "[] is answered with one error object")
        XCTAssertEqual(frames[1]["id"], .null)
        XCTAssertEqual(frames[2]["id"], 2)
    }

    func testParseErrorMalformedHeaderAndResync() throws {
        let harness = ServerHarness()
        let client = try harness.connectRaw()
        client.send(initialize)
        _ = client.frames(atLeast: 1)
        client.send("{not json")
        client.writeRaw("Content-Lenght: 5\r\n\r\n{}{}{")  // misspelt header: malformed, then skipped
        client.send(#"{"jsonrpc":"2.0","id":3,"method":"test/echo","params":{"value":3}}"#)
        let frames = client.frames(atLeast: 4)
        XCTAssertEqual(frames.count, 4)
        XCTAssertEqual(frames[1]["error"]?["code"], -32700)
        XCTAssertEqual(frames[1]["id"], .null)
        XCTAssertEqual(frames[2]["error"]?["code"], -32700)
        XCTAssertEqual(frames[2]["id"], .null)
        XCTAssertTrue(frames[2]["error"]?["message"]?.stringValue?.contains("missing Content-Length") ?? false)
        XCTAssertEqual(frames[3]["result"], ["value": 3], "the reader resynchronised at the next Content-Length")
    }

    func testOversizeMessageIsRefusedAndTheNextOneWorks() throws {
        let harness = ServerHarness(maxMessageBytes: 1024)
        let client = try harness.connectRaw()
        client.send(initialize)
        _ = client.frames(atLeast: 1)
        let big = #"{"jsonrpc":"2.0","id":4,"method":"test/echo","params":{"value":""# + String(repeating: "x", count: 5000) + #""}}"#
        client.send(big)
        client.send(#"{"jsonrpc":"2.0","id":5,"method":"test/echo","params":{"value":5}}"#)
        let frames = client.frames(atLeast: 3)
        XCTAssertEqual(frames.count, 3)
        XCTAssertEqual(frames[1]["error"]?["code"], -32007)
        XCTAssertEqual(frames[1]["error"]?["data"], ["declaredBytes": .int(Int64(big.utf8.count)), "limitBytes": 1024])
        XCTAssertEqual(frames[2]["id"], 5)
        XCTAssertEqual(harness.probes.entries, ["echo"], "the oversized request never ran")
    }
}
