import AttnServer
import AttnProtocol
import Foundation
import JSONRPC
import XCTest

final class LifecycleTests: XCTestCase {
    private func code(_ body: () throws -> Any) -> RPCErrorCode? {
        do {
            _ = try body()
            return nil
        } catch let error as RPCError {
            return error.code
        } catch {
            XCTFail("unexpected \(error)")
            return nil
        }
    }

    func testRequestsBeforeInitializeAreRefused() throws {
        let harness = ServerHarness()
        let client = try harness.connect(initialize: false)
        XCTAssertEqual(code { try client.rpc.request("test/echo", timeout: 5) }, .serverNotInitialized)
        XCTAssertEqual(code { try client.rpc.request("shutdown", timeout: 5) }, .serverNotInitialized)
        XCTAssertEqual(code { try client.rpc.request("no/such", timeout: 5) }, .serverNotInitialized)
        XCTAssertEqual(harness.probes.entries, [], "no handler ran")
        XCTAssertNoThrow(try client.rpc.request("initialize", timeout: 5))
        XCTAssertEqual(try client.rpc.request("test/echo", params: ["value": 7], timeout: 5), ["value": 7])
    }

    func testInitializeResult() throws {
        let harness = ServerHarness()
        let client = try harness.connect(initialize: false)
        let result = try client.rpc.request("initialize", params: [
            "processId": 12, "clientInfo": ["name": "editor", "version": "1"], "capabilities": [:], "workDoneToken": "t",
        ], timeout: 5)
        XCTAssertEqual(result["serverInfo"]?["name"], "attnd")
        XCTAssertNotNil(result["serverInfo"]?["version"]?.stringValue)
        XCTAssertEqual(result["protocolVersion"], "1.0")
        let registered = ["test/echo", "test/sleep", "test/fail", "test/typed", "test/blob", "test/params"]
        let expected = (registered + ["initialize", "shutdown"]).sorted()
        XCTAssertEqual(result["capabilities"]?["methods"], .array(expected.map { .string($0) }))
        XCTAssertNil(result["model"], "no model hook registered")
    }

    func testInitializeWithUnknownFieldIsInvalidParamsAndCanBeRetried() throws {
        let harness = ServerHarness()
        let client = try harness.connect(initialize: false)
        do {
            _ = try client.rpc.request("initialize", params: ["modle": ["name": "gpt2"]], timeout: 5)
            XCTFail("unknown field accepted")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidParams)
            XCTAssertEqual(error.data?["field"], "modle")
        }
        XCTAssertNoThrow(try client.rpc.request("initialize", timeout: 5), "a failed initialize leaves the client uninitialized")
    }

    func testInitializeTwiceIsAnError() throws {
        let harness = ServerHarness()
        let client = try harness.connect()
        XCTAssertEqual(code { try client.rpc.request("initialize", timeout: 5) }, .invalidRequest)
        XCTAssertEqual(try client.rpc.request("test/echo", params: ["value": 1], timeout: 5), ["value": 1], "still usable")
    }

    func testShutdownThenRequestsRefusedThenExitZero() throws {
        let harness = ServerHarness()
        let client = try harness.connect()
        XCTAssertEqual(try client.rpc.request("shutdown", timeout: 5), .null)
        XCTAssertEqual(code { try client.rpc.request("test/echo", timeout: 5) }, .invalidRequest)
        XCTAssertEqual(code { try client.rpc.request("shutdown", timeout: 5) }, .invalidRequest)
        client.rpc.notify("exit")
        XCTAssertEqual(client.waitForExitCode(), 0)
    }

    func testExitWithoutShutdownIsOne() throws {
        let harness = ServerHarness()
        let client = try harness.connect()
        client.rpc.notify("exit")
        XCTAssertEqual(client.waitForExitCode(), 1)
    }

    func testEndOfInputBehavesLikeExit() throws {
        let harness = ServerHarness()
        let plain = try harness.connect()
        plain.rpc.close()
        XCTAssertEqual(plain.waitForExitCode(), 1)
        let afterShutdown = try harness.connect()
        _ = try afterShutdown.rpc.request("shutdown", timeout: 5)
        afterShutdown.rpc.close()
        XCTAssertEqual(afterShutdown.waitForExitCode(), 0)
        XCTAssertEqual(harness.server.clientCount, 0)
    }

    func testUnknownMethod() throws {
        let harness = ServerHarness()
        let client = try harness.connect()
        XCTAssertEqual(code { try client.rpc.request("no/such", timeout: 5) }, .methodNotFound)
    }

    func testNotificationsAreNeverAnswered() throws {
        let harness = ServerHarness()
        let client = try harness.connect()
        client.rpc.notify("initialized")
        client.rpc.notify("unknown/notification", params: ["x": 1])
        client.rpc.notify("test/echo", params: ["value": 1])
        client.rpc.notify("$/cancelRequest", params: ["id": 999])
        XCTAssertEqual(try client.rpc.request("test/echo", params: ["value": 2], timeout: 5), ["value": 2])
        usleep(100_000)
        XCTAssertEqual(client.recorded, [], "nothing but the request's own response arrived")
        XCTAssertEqual(harness.probes.entries, ["echo"], "a method sent as a notification does not run")
    }

    func testInvalidParamsThroughTheServer() throws {
        let harness = ServerHarness()
        let client = try harness.connect()
        let cases: [(JSONValue, String)] = [
            (["text": "a", "bogus": 1], "bogus"),
            (["text": "a", "thresholds": [0.5, 2]], "thresholds[1]"),
            (["text": "a", "tokens": [1]], "tokens"),
            (["text": "a", "workDoneToken": ["not": "a token"]], "workDoneToken"),
        ]
        for (params, field) in cases {
            do {
                _ = try client.rpc.request("test/params", params: params, timeout: 5)
                XCTFail("\(params) accepted")
            } catch let error as RPCError {
                XCTAssertEqual(error.code, .invalidParams)
                XCTAssertEqual(error.data?["field"]?.stringValue, field)
                XCTAssertNotNil(error.data?["accepted"]?.stringValue)
            }
        }
        let accepted = try client.rpc.request("test/params", params: ["tokens": [1], "workDoneToken": 3], timeout: 5)
        XCTAssertEqual(accepted["source"], "tokens", "workDoneToken is not one of the method's fields")
    }

    func testHandlerErrorsBecomeErrorResponsesAndTheServerGoesOn() throws {
        let harness = ServerHarness()
        let client = try harness.connect()
        do {
            _ = try client.rpc.request("test/fail", timeout: 5)
            XCTFail("no error")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .internalError)
            XCTAssertTrue(error.message.contains("boom: the handler failed"), error.message)
            XCTAssertTrue(error.message.contains("test/fail"), error.message)
        }
        XCTAssertEqual(code { try client.rpc.request("test/typed", timeout: 5) }, .runNotFound)
        XCTAssertEqual(try client.rpc.request("test/echo", params: ["value": "ok"], timeout: 5), ["value": "ok"])
    }
}
