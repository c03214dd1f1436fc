import Foundation
import JSONRPC
import TestSupport
import XCTest

/// Several clients on one `attnd --listen` socket sharing one loaded model: a long sweep with
/// progress on one client, cheap requests answered meanwhile on another, a queued request
/// cancelled, and a client that vanishes mid-request without anyone else noticing.
final class SharedSocketDaemonTests: XCTestCase {
    private var daemon: Process!
    private var path: String!

    override func setUpWithError() throws {
        path = PrivateSocketPath.make()
        daemon = try DaemonSupport.listen(on: path, ["--log-level", "error", "--no-history",
                                                    "--model", DaemonSupport.model("tiny-peaked")])
    }

    override func tearDown() {
        daemon?.terminate()
        daemon?.waitUntilExit()
        PrivateSocketPath.remove(path)
    }

    private func client(onNotification: @escaping (RPCNotification) -> Void = { _ in }) throws -> RPCClient {
        let c = try RPCClient.connect(socketPath: path, onNotification: onNotification)
        _ = try c.request("initialize", params: ["clientInfo": ["name": "shared-test"]], timeout: 10)
        return c
    }

    /// A sweep long enough to still be running while the other clients act (end-to-end on
    /// 128 tokens: one pruned forward pass per point).
    private var longSweep: JSONValue {
        ["tokens": .array((0..<128).map { .int(Int64($0 * 5 % 512)) }), "endToEnd": true,
         "thresholds": .array((1...32).map { .double(Double($0) / 64) }), "blockSizes": [2, 4, 8, 16],
         "workDoneToken": "sweep"]
    }

    func testClientsShareTheModelWhileASweepRuns() throws {
        let lock = NSLock()
        var progress: [String] = []
        let a = try client { n in
            guard n.method == "$/progress", let kind = n.params?["value"]?["kind"]?.stringValue else { return }
            lock.withLock { progress.append(kind) }
        }
        let b = try client()
        let c = try client()

        // A: a long sweep with progress. B: a queued forward, cancelled while it waits.
        let sweepDone = DispatchSemaphore(value: 0)
        var sweepOutcome: Result<JSONValue, RPCError>?
        let sweepID = a.send("pruneSweep", params: longSweep) { r in sweepOutcome = r; sweepDone.signal() }
        Thread.sleep(forTimeInterval: 0.3)
        let queuedDone = DispatchSemaphore(value: 0)
        var queuedOutcome: Result<JSONValue, RPCError>?
        let queuedID = b.send("forward", params: ["text": "waits behind the sweep", "force": true]) { r in
            queuedOutcome = r; queuedDone.signal()
        }
        Thread.sleep(forTimeInterval: 0.1)
        let cancelAt = Date()
        b.cancel(queuedID)
        XCTAssertEqual(queuedDone.wait(timeout: .now() + 5), .success)
        XCTAssertLessThan(Date().timeIntervalSince(cancelAt), 0.5, "a queued request is cancelled at once")
        guard case .failure(let queuedError)? = queuedOutcome else { return XCTFail("expected -32800") }
        XCTAssertEqual(queuedError.code, .requestCancelled)

        // C: cheap requests are answered while the sweep runs, on the same model.
        let started = Date()
        let tokens = try c.request("tokenize", params: ["text": "still answered"], timeout: 5)
        XCTAssertFalse(tokens["tokens"]?.array.isEmpty ?? true)
        XCTAssertEqual(try c.request("model/info", timeout: 5)["name"], "tiny-peaked")
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.0)
        XCTAssertEqual(sweepDone.wait(timeout: .now()), .timedOut, "the sweep is still running")

        // The sweep reports progress as it goes (waited for: on a loaded machine the first layer
        // of a debug build can take longer than the steps above).
        let reportDeadline = Date().addingTimeInterval(10)
        while !lock.withLock({ progress.contains("report") }), Date() < reportDeadline { Thread.sleep(forTimeInterval: 0.01) }

        // A vanishes mid-request: its sweep is cancelled; B and C carry on.
        // (Alone, this sweep takes about 20 s in a debug build: B would wait that long.)
        a.close()
        let vanishedAt = Date()
        let after = try b.request("forward", params: ["text": "after the vanished client"], timeout: 30)
        XCTAssertNotNil(after["argmax"])
        XCTAssertLessThan(Date().timeIntervalSince(vanishedAt), 5, "the vanished client's sweep was cancelled, not finished")
        XCTAssertEqual(try c.request("model/info", timeout: 5)["nLayer"], 2)
        _ = sweepID
        lock.withLock {
            XCTAssertEqual(progress.first, "begin")
            XCTAssertTrue(progress.contains("report"), "progress reports arrived: \(progress)")
        }
        _ = sweepOutcome
        for client in [b, c] {
            _ = try client.request("shutdown", timeout: 5)
            client.notify("exit")
            client.close()
        }
    }
}
