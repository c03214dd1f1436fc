import AttnProtocol
import JSONRPC
import XCTest

final class ErrorCodeTests: XCTestCase {
    /// The numbers and names of Protocol/README.md §14, in table order.
    func testErrorCodesAreTheContractNumbers() {
        let expected: [(Int, String)] = [
            (-32700, "parseError"), (-32600, "invalidRequest"), (-32601, "methodNotFound"), (-32602, "invalidParams"),
            (-32603, "internalError"), (-32002, "serverNotInitialized"), (-32800, "requestCancelled"),
            (-32000, "serverBusy"), (-32001, "noModelLoaded"), (-32003, "modelLoadFailed"), (-32004, "historyUnavailable"),
            (-32005, "runNotFound"), (-32006, "exportFailed"), (-32007, "messageTooLarge"), (-32008, "downloadFailed"), (-32009, "nonFiniteResult"),
        ]
        XCTAssertEqual(RPCErrorCode.attnProtocol.map(\.rawValue), expected.map(\.0))
        XCTAssertEqual(RPCErrorCode.attnProtocol.map(\.name), expected.map(\.1))
        // A code received as a number equals the named one and gets its name from the table.
        XCTAssertEqual(RPCErrorCode(rawValue: -32005), .runNotFound)
        XCTAssertEqual(RPCErrorCode(rawValue: -32005, known: RPCErrorCode.attnProtocol).name, "runNotFound")
        XCTAssertNotEqual(RPCErrorCode.runNotFound, .exportFailed)
    }
}
