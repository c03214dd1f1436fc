@testable import AttnMCP
import AttnServer
import Foundation
import JSONRPC
import XCTest

/// The MCP bridge against a real `RPCServer` session, with stand-in handlers registered under
/// the daemon's method names (the real analyses run in Clients/mcp/test_mcp_endpoint.py).
final class MCPBridgeTests: XCTestCase {
    /// A server with stand-in `tokenize` (immediate) and `pruneSweep` (compute: sleeps `ms`,
    /// reporting `steps` progress reports, cancellable) methods, and a bridge in front of it.
    final class Harness: @unchecked Sendable {
        let server: RPCServer
        var bridge: MCPBridge!
        private let condition = NSCondition()
        private var received: [JSONValue] = []
        let cancelledRuns = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)

        init() throws {
            let registry = MethodRegistry()
            registry.register("tokenize", kind: .immediate, parse: { try $0.string("text") }) { text, context in
                ["tokens": .array(text.split(separator: " ").indices.map { .int(Int64($0)) }),
                 "client": .string(context.clientName ?? "")] as JSONValue
            }
            let started = self.started, cancelledRuns = self.cancelledRuns
            registry.register("pruneSweep", kind: .compute, parse: { reader in
                (try reader.int("ms", default: 0, range: 0...10_000), try reader.int("steps", default: 0, range: 0...10))
            }) { (params: (ms: Int, steps: Int), context: RequestContext) -> JSONValue in
                started.signal()
                for step in 1...max(1, params.steps) where params.steps > 0 {
                    context.report(percentage: 100 * step / params.steps, message: "step \(step)")
                    context.report(percentage: 100 * step / params.steps, message: "again")  // not an increase: dropped
                }
                let start = Date()
                while Date().timeIntervalSince(start) * 1000 < Double(params.ms) {
                    if context.isCancelled { cancelledRuns.signal() }
                    try context.checkCancelled()
                    usleep(5_000)
                }
                return ["points": [["threshold": 0.1]], "runId": "r-1", "numTokens": 3]
            }
            server = RPCServer(configuration: ServerConfiguration(), registry: registry)
            let (serverSide, bridgeSide) = try Connection.pipePair(outputQueueLimit: 1 << 20)
            server.serve(serverSide)
            bridge = try MCPBridge(inner: bridgeSide) { [weak self] body in self?.record(body) }
        }

        deinit { server.stop() }

        private func record(_ body: Data) {
            XCTAssertFalse(body.contains(UInt8(ascii: "\n")), "an MCP message must be one line")
            guard let json = try? JSONParser.parse(body) else { return XCTFail("not JSON: \(String(decoding: body, as: UTF8.self))") }
            condition.lock()
            received.append(json)
            condition.broadcast()
            condition.unlock()
        }

        func send(_ message: JSONValue) { bridge.receive(line: JSONWriter.data(message)) }

        /// Sends request `id` and waits for its response; returns it and every message before it.
        @discardableResult
        func request(_ id: Int64, _ method: String, _ params: JSONValue? = nil, timeout: TimeInterval = 10) throws -> (response: JSONValue, before: [JSONValue]) {
            var message: JSONValue = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method)]
            if let params, case .object(var members) = message { members["params"] = params; message = .object(members) }
            send(message)
            return try wait(for: .int(id), timeout: timeout)
        }

        func wait(for id: JSONValue, timeout: TimeInterval = 10) throws -> (response: JSONValue, before: [JSONValue]) {
            let deadline = Date().addingTimeInterval(timeout)
            condition.lock()
            defer { condition.unlock() }
            while true {
                if let index = received.firstIndex(where: { $0["id"] == id && $0["method"] == nil }) {
                    let before = Array(received[..<index])
                    let response = received[index]
                    received.removeSubrange(...index)
                    return (response, before)
                }
                guard condition.wait(until: deadline) else { throw XCTSkip("no response to \(id) within \(timeout) s") }
            }
        }

        func initialize(version: String = "2025-11-25") throws -> JSONValue {
            let (response, _) = try request(1, "initialize", ["protocolVersion": .string(version), "capabilities": [:],
                                                              "clientInfo": ["name": "agent-x", "version": "1"]])
            send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            return response
        }
    }

    func testInitializeNegotiatesTheVersionAndNamesTheServer() throws {
        let harness = try Harness()
        XCTAssertEqual(try harness.request(7, "ping").response["result"], .object([:]))
        XCTAssertEqual(try harness.request(8, "tools/list").response["error"]?["code"], -32002)
        let response = try harness.initialize(version: "2025-06-18")
        XCTAssertEqual(response["result"]?["protocolVersion"], "2025-06-18")
        XCTAssertEqual(response["result"]?["serverInfo"]?["name"], "attnd")
        XCTAssertEqual(response["result"]?["capabilities"]?["tools"]?["listChanged"], false)
        XCTAssertEqual(try harness.request(2, "initialize", ["protocolVersion": "2025-06-18"]).response["error"]?["code"], -32600)
        XCTAssertEqual(try harness.request(3, "resources/list").response["error"]?["code"], -32601)
        // The MCP client's name reaches the daemon session (and so the run history).
        let tokenize = try harness.request(4, "tools/call", ["name": "tokenize", "arguments": ["text": "a b c"]]).response
        XCTAssertEqual(tokenize["result"]?["structuredContent"]?["client"], "agent-x")
    }

    /// A client that does not wait for the `initialize` answer: what it sent meanwhile is handled
    /// after it, in order, as if it had waited.
    func testMessagesSentDuringInitializeWaitForIt() throws {
        let harness = try Harness()
        harness.send(["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": ["protocolVersion": "2025-11-25"]])
        harness.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        harness.send(["jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": ["name": "tokenize", "arguments": ["text": "a b"]]])
        let (call, before) = try harness.wait(for: 2)
        XCTAssertEqual(before.compactMap { $0["id"] }, [1])
        XCTAssertEqual(call["result"]?["structuredContent"]?["tokens"], [0, 1])
        XCTAssertEqual(try harness.request(3, "ping").response["result"], .object([:]))
    }

    func testAnUnknownVersionGetsTheNewestAndAMissingOneIsNamed() throws {
        let harness = try Harness()
        let missing = try harness.request(1, "initialize", ["capabilities": [:]]).response
        XCTAssertEqual(missing["error"]?["code"], -32602)
        XCTAssertEqual(missing["error"]?["data"]?["field"], "protocolVersion")
        let response = try harness.request(2, "initialize", ["protocolVersion": "1999-01-01"]).response
        XCTAssertEqual(response["result"]?["protocolVersion"], .string(MCPBridge.supportedProtocolVersions.last!))
    }

    func testToolsListOffersEveryCatalogTool() throws {
        let harness = try Harness()
        _ = try harness.initialize()
        let tools = try XCTUnwrap(try harness.request(2, "tools/list").response["result"]?["tools"]?.arrayValue)
        XCTAssertEqual(tools.compactMap { $0["name"]?.stringValue }, MCPToolCatalog.tools.map(\.name))
        XCTAssertTrue(tools.allSatisfy { $0["inputSchema"]?["type"] == "object" && $0["outputSchema"]?["type"] == "object" })
    }

    func testACallReturnsStructuredContentAndATextSummary() throws {
        let harness = try Harness()
        _ = try harness.initialize()
        let result = try XCTUnwrap(try harness.request(2, "tools/call", ["name": "tokenize", "arguments": ["text": "one two three"]]).response["result"])
        XCTAssertEqual(result["isError"], false)
        XCTAssertEqual(result["structuredContent"]?["tokens"], [0, 1, 2])
        XCTAssertEqual(result["content"]?.arrayValue?.first?["type"], "text")
        let text = try XCTUnwrap(result["content"]?.arrayValue?.first?["text"]?.stringValue)
        XCTAssertTrue(text.hasPrefix("tokenize: "), text)
    }

    func testAMethodErrorIsAToolResultNamingTheField() throws {
        let harness = try Harness()
        _ = try harness.initialize()
        let bad = try XCTUnwrap(try harness.request(2, "tools/call", ["name": "pruneSweep", "arguments": ["ms": 99_999]]).response["result"])
        XCTAssertEqual(bad["isError"], true)
        XCTAssertNil(bad["structuredContent"])
        let text = try XCTUnwrap(bad["content"]?.arrayValue?.first?["text"]?.stringValue)
        XCTAssertTrue(text.contains("`ms`") && text.contains("-32602 invalidParams") && text.contains("\"field\":\"ms\""), text)

        let unknownField = try XCTUnwrap(try harness.request(3, "tools/call", ["name": "tokenize", "arguments": ["text": "a", "colour": 1]]).response["result"])
        XCTAssertEqual(unknownField["isError"], true)
        XCTAssertTrue(unknownField["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("colour") == true)

        let token = try XCTUnwrap(try harness.request(4, "tools/call", ["name": "tokenize", "arguments": ["text": "a", "workDoneToken": 5]]).response["result"])
        XCTAssertEqual(token["isError"], true)
        XCTAssertTrue(token["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("_meta.progressToken") == true)
    }

    func testAnUnknownToolOrBadArgumentsAreProtocolErrors() throws {
        let harness = try Harness()
        _ = try harness.initialize()
        let unknown = try harness.request(2, "tools/call", ["name": "model/load", "arguments": [:]]).response
        XCTAssertEqual(unknown["error"]?["code"], -32602)
        XCTAssertTrue(unknown["error"]?["message"]?.stringValue?.contains("unknown tool: model/load") == true)
        let notObject = try harness.request(3, "tools/call", ["name": "tokenize", "arguments": [1, 2]]).response
        XCTAssertEqual(notObject["error"]?["data"]?["field"], "arguments")
        let noName = try harness.request(4, "tools/call", ["arguments": [:]]).response
        XCTAssertEqual(noName["error"]?["data"]?["field"], "name")
    }

    func testProgressTokenBecomesStrictlyIncreasingProgressBeforeTheResult() throws {
        let harness = try Harness()
        _ = try harness.initialize()
        let (response, before) = try harness.request(2, "tools/call", ["name": "pruneSweep", "arguments": ["steps": 4],
                                                                      "_meta": ["progressToken": "tok-1"]])
        XCTAssertEqual(response["result"]?["isError"], false)
        XCTAssertEqual(response["result"]?["structuredContent"]?["runId"], "r-1")
        let progress = before.filter { $0["method"] == "notifications/progress" }
        XCTAssertTrue(progress.allSatisfy { $0["params"]?["progressToken"] == "tok-1" && $0["params"]?["total"] == 100 })
        // begin 0, then 25, 50, 75, 100 (the repeated reports and the end at 100 add nothing).
        XCTAssertEqual(progress.compactMap { $0["params"]?["progress"]?.doubleValue }, [0, 25, 50, 75, 100])
        XCTAssertEqual(progress[1]["params"]?["message"], "step 1")
        // Without a token: no progress at all.
        let (_, quiet) = try harness.request(3, "tools/call", ["name": "pruneSweep", "arguments": ["steps": 2]])
        XCTAssertTrue(quiet.isEmpty, "\(quiet)")
    }

    func testCancelledReachesTheRunningMethodAndTheRequestGetsNoResponse() throws {
        let harness = try Harness()
        _ = try harness.initialize()
        harness.send(["jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": ["name": "pruneSweep", "arguments": ["ms": 5000]]])
        XCTAssertEqual(harness.started.wait(timeout: .now() + 5), .success)
        harness.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": 2, "reason": "user"]])
        XCTAssertEqual(harness.cancelledRuns.wait(timeout: .now() + 2), .success, "the daemon method did not see the cancel")
        // The next request is answered, and the cancelled one never is.
        XCTAssertEqual(try harness.request(3, "ping").response["result"], .object([:]))
        XCTAssertThrowsError(try harness.wait(for: 2, timeout: 0.5))
    }

    func testBadLinesAreAnsweredWithNullIDs() throws {
        let harness = try Harness()
        harness.bridge.receive(line: Data("{not json".utf8))
        XCTAssertEqual(try harness.wait(for: .null).response["error"]?["code"], -32700)
        harness.send([["jsonrpc": "2.0", "id": 1, "method": "ping"]])
        XCTAssertEqual(try harness.wait(for: .null).response["error"]?["code"], -32600)
        harness.bridge.receiveTooLong(limitBytes: 10)
        XCTAssertEqual(try harness.wait(for: .null).response["error"]?["code"], -32007)
    }
}
