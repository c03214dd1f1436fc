import Foundation
import XCTest
@testable import JSONRPC

final class MessageTests: XCTestCase {
    private func decode(_ text: String) throws -> RPCPayload {
        try RPCPayload.decode(Data(text.utf8))
    }

    func testClassification() throws {
        XCTAssertEqual(try decode(#"{"jsonrpc":"2.0","id":3,"method":"m","params":{"a":1}}"#),
                       .single(.request(RPCRequest(id: .int(3), method: "m", params: ["a": 1]))))
        XCTAssertEqual(try decode(#"{"jsonrpc":"2.0","id":"x","method":"m"}"#),
                       .single(.request(RPCRequest(id: .string("x"), method: "m"))))
        XCTAssertEqual(try decode(#"{"jsonrpc":"2.0","method":"n"}"#), .single(.notification(RPCNotification(method: "n"))))
        XCTAssertEqual(try decode(#"{"jsonrpc":"2.0","id":1,"result":null}"#), .single(.response(RPCResponse(id: .int(1), result: .null))))
        XCTAssertEqual(try decode(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32800,"message":"c"}}"#),
                       .single(.response(RPCResponse(id: nil, error: RPCError(.requestCancelled, "c")))))
    }

    func testInvalidMessages() throws {
        let cases: [(String, RequestID?)] = [
            (#"{"id":1,"method":"m"}"#, .int(1)),                        // no jsonrpc
            (#"{"jsonrpc":"1.0","id":1,"method":"m"}"#, .int(1)),
            (#"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#, nil),
            (#"{"jsonrpc":"2.0","id":{},"method":"m"}"#, nil),
            (#"{"jsonrpc":"2.0","id":2,"method":7}"#, .int(2)),
            (#"{"jsonrpc":"2.0","id":2,"method":"m","params":3}"#, .int(2)),
            (#"{"jsonrpc":"2.0","id":null,"method":"m"}"#, nil),
            (#"{"jsonrpc":"2.0","id":4}"#, .int(4)),
            (#""just a string""#, nil),
        ]
        for (text, id) in cases {
            guard case .single(.invalid(let readID, _)) = try decode(text) else {
                XCTFail("\(text) should be invalid")
                continue
            }
            XCTAssertEqual(readID, id, text)
        }
    }

    func testBatchesAndEmptyBatch() throws {
        guard case .batch(let items) = try decode(#"[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"},5]"#) else {
            return XCTFail("not a batch")
        }
        XCTAssertEqual(items.count, 3)
        XCTAssertEqual(items[1], .notification(RPCNotification(method: "b")))
        if case .invalid = items[2] {} else { XCTFail("5 is not a message") }
        guard case .single(.invalid(nil, _)) = try decode("[]") else { return XCTFail("empty batch is invalid") }
    }

    func testNotJSONIsParseError() {
        XCTAssertThrowsError(try decode("{oops")) { error in
            XCTAssertEqual((error as? RPCError)?.code, .parseError)
        }
    }

    func testStandardErrorCodesAreTheSpecNumbers() {
        let expected: [Int] = [-32700, -32600, -32601, -32602, -32603, -32002, -32800, -32007]
        XCTAssertEqual(RPCErrorCode.standard.map(\.rawValue), expected)
        XCTAssertEqual(Set(RPCErrorCode.standard.map(\.name)).count, expected.count)
        for code in RPCErrorCode.standard { XCTAssertEqual(RPCErrorCode(rawValue: code.rawValue).name, code.name) }
        XCTAssertEqual(RPCErrorCode(rawValue: -31999).name, "unknown")
        XCTAssertEqual(RPCErrorCode(rawValue: -31999).rawValue, -31999)
    }

    func testResponseWireForm() {
        let wire = RPCMessage.response(RPCResponse(id: nil, error: RPCError(RPCErrorCode(-32000, name: "serverBusy"), "busy", data: ["maxQueue": 2]))).jsonValue
        XCTAssertEqual(JSONWriter.string(wire), #"{"error":{"code":-32000,"data":{"maxQueue":2},"message":"busy"},"id":null,"jsonrpc":"2.0"}"#)
    }
}
