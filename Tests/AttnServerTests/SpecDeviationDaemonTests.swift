import Foundation
import JSONRPC
import XCTest

/// Issue 18 item 8: where the daemon disagreed with Protocol/README.md §1, §2 and §9, checked
/// on the real `attnd` with the tiny fixture model.
final class SpecDeviationDaemonTests: XCTestCase {
    private var folder: URL!
    private var client: RPCClient!
    private let unmatched = UnmatchedResponses()

    /// Responses with an id the client did not send (`id: null` errors of bad frames).
    final class UnmatchedResponses: @unchecked Sendable {
        private let lock = NSLock()
        private var responses: [RPCResponse] = []
        func add(_ r: RPCResponse) { lock.withLock { responses.append(r) } }
        func wait(count: Int, timeout: Double = 10) -> [RPCResponse] {
            let deadline = Date().addingTimeInterval(timeout)
            while true {
                let snapshot = lock.withLock { responses }
                if snapshot.count >= count || Date() >= deadline { return snapshot }
                usleep(5_000)
            }
        }
    }

    override func setUpWithError() throws {
        folder = try DaemonSupport.temporaryFolder()
        let unmatched = self.unmatched
        client = try RPCClient.spawn(executable: DaemonSupport.attnd(),
                                     arguments: ["--stdio", "--log-level", "error", "--no-history",
                                                 "--model", DaemonSupport.model("tiny-peaked")],
                                     stderr: FileHandle(forWritingAtPath: "/dev/null"),
                                     onUnmatchedResponse: { unmatched.add($0) })
        _ = try client.request("initialize", timeout: 30)
    }

    override func tearDown() {
        if let client { DaemonSupport.stop(client) }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Sends `body` as one frame and waits for the response with `id`.
    private func rawRequest(_ body: String, id: Int64) throws -> Result<JSONValue, RPCError> {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<JSONValue, RPCError>?
        client.expectResponse(id: .int(id), method: "raw") { result = $0; done.signal() }
        XCTAssertTrue(client.sendRaw(body: Data(body.utf8)))
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success, "no answer to \(body.prefix(80))")
        return try XCTUnwrap(result)
    }

    /// §2: `16.0` is an integer. It used to be refused with -32602.
    func testIntegralDoublesAreAcceptedForIntegerFields() throws {
        let plain = try client.request("profileAttention", params: ["tokens": [1, 2, 3, 4], "blockSize": 2])
        let body = #"{"jsonrpc":"2.0","id":900,"method":"profileAttention","params":{"tokens":[1.0,2,3e0,4.0],"blockSize":2.0}}"#
        let doubled = try rawRequest(body, id: 900).get()
        XCTAssertEqual(doubled["numTokens"], 4)
        XCTAssertEqual(doubled["layers"], plain["layers"], "the same analysis as with integer literals")
        XCTAssertNotNil(doubled["layers"]?.arrayValue?.first)
        // A fraction is still refused, naming the element.
        let half = try rawRequest(#"{"jsonrpc":"2.0","id":901,"method":"forward","params":{"tokens":[1,2.5]}}"#, id: 901)
        guard case .failure(let error) = half else { return XCTFail("2.5 accepted as a token id") }
        XCTAssertEqual(error.code, .invalidParams)
        XCTAssertEqual(error.data?["field"], "tokens[1]")
    }

    /// §9: `1e400` is refused as "a finite number" (it used to name the field's usual range, with `value: null`).
    func testOverflowingNumberIsRefusedAsNotFinite() throws {
        let cases: [(String, String)] = [
            (#"{"jsonrpc":"2.0","id":910,"method":"pruneSweep","params":{"tokens":[1,2],"thresholds":[0.5,1e400]}}"#, "thresholds[1]"),
            (#"{"jsonrpc":"2.0","id":911,"method":"perPositionKL","params":{"tokens":[1,2],"threshold":-1e400}}"#, "threshold"),
            (#"{"jsonrpc":"2.0","id":912,"method":"profileAttention","params":{"tokens":[1,2],"blockSize":1e400}}"#, "blockSize"),
        ]
        for (index, (body, field)) in cases.enumerated() {
            guard case .failure(let error) = try rawRequest(body, id: Int64(910 + index)) else { return XCTFail("\(body) accepted") }
            XCTAssertEqual(error.code, .invalidParams, body)
            XCTAssertEqual(error.data?["field"], .string(field), body)
            XCTAssertEqual(error.data?["accepted"], "a finite number", body)
            XCTAssertEqual(error.data?["value"], .null, body)
            XCTAssertTrue(error.message.contains("not a finite number"), error.message)
        }
    }

    /// §1: a header section over 8 KiB is malformed: one -32700 with `id: null`, then the
    /// daemon resynchronises and serves the next frame. 120 KB used to be accepted.
    func testHeaderSectionOverEightKiBIsAnsweredOnceAndTheStreamRecovers() throws {
        let body = #"{"jsonrpc":"2.0","id":920,"method":"model/info"}"#
        let pad = "X-Pad: " + String(repeating: "p", count: 3_993) + "\r\n"
        let frame = "Content-Length: \(body.utf8.count)\r\n" + String(repeating: pad, count: 30) + "\r\n" + body
        XCTAssertEqual(frame.utf8.count - body.utf8.count, 120_082, "a 120 KB header section")
        let bytes = Array(frame.utf8)
        XCTAssertEqual(bytes.withUnsafeBytes { write(client.connection.writeFD, $0.baseAddress, $0.count) }, bytes.count)
        let errors = unmatched.wait(count: 1)
        XCTAssertEqual(errors.count, 1)
        XCTAssertEqual(errors.first?.id, nil)
        guard case .failure(let error)? = errors.first?.outcome else { return XCTFail("not an error: \(errors)") }
        XCTAssertEqual(error.code, .parseError)
        XCTAssertTrue(error.message.contains("8192"), error.message)
        // Its body was discarded (model/info 920 is never answered); the next frame is served.
        XCTAssertEqual(try client.request("model/info")["nLayer"], 2)
        XCTAssertEqual(unmatched.wait(count: 2, timeout: 0.2).count, 1, "nothing else arrived, no answer to id 920")
    }
}
