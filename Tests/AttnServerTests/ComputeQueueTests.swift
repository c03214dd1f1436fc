import AttnServer
import AttnProtocol
import Foundation
import JSONRPC
import XCTest

final class ComputeQueueTests: XCTestCase {
    private func waitStarted(_ harness: ServerHarness, count: Int) {
        for _ in 0..<count {
            XCTAssertEqual(harness.probes.started.wait(timeout: .now() + 5), .success, "compute job did not start")
        }
    }

    func testCancelQueuedThenRunningWithin200ms() throws {
        let harness = ServerHarness()
        let client = try harness.connect()
        let running = client.start("test/sleep", params: ["ms": 5000])
        waitStarted(harness, count: 1)
        let queued = client.start("test/sleep", params: ["ms": 5000])
        usleep(20_000)
        var sent = Date()
        client.rpc.cancel(queued.id)
        XCTAssertEqual(queued.errorCode(timeout: 2), .requestCancelled)
        XCTAssertLessThan(queued.arrival!.timeIntervalSince(sent), 0.2, "queued request answered at once")
        sent = Date()
        client.rpc.cancel(running.id)
        XCTAssertEqual(running.errorCode(timeout: 2), .requestCancelled)
        XCTAssertLessThan(running.arrival!.timeIntervalSince(sent), 0.2, "running request noticed within 200 ms")
        XCTAssertEqual(harness.probes.startedCount, 1, "the cancelled queued request never ran")
        XCTAssertEqual(harness.probes.cancelled, [running.id])
        usleep(50_000)
        XCTAssertEqual(client.recorded, [], "exactly one response each")
    }

    func testFullQueueAnswersServerBusy() throws {
        let harness = ServerHarness(maxQueue: 1)
        let client = try harness.connect()
        let running = client.start("test/sleep", params: ["ms": 5000])
        waitStarted(harness, count: 1)
        let waiting = client.start("test/sleep", params: ["ms": 5000])
        usleep(20_000)
        let refused = client.start("test/sleep", params: ["ms": 10])
        guard case .failure(let error)? = refused.wait(timeout: 1) else { return XCTFail("not refused") }
        XCTAssertEqual(error.code, .serverBusy)
        XCTAssertEqual(error.data?["maxQueue"], 1)
        XCTAssertEqual(harness.server.queuedRequestCount, 1)
        client.rpc.cancel(waiting.id)
        client.rpc.cancel(running.id)
        XCTAssertEqual(waiting.errorCode(), .requestCancelled)
        XCTAssertEqual(running.errorCode(), .requestCancelled)
    }

    func testImmediateRequestsAreAnsweredWhileComputeRuns() throws {
        let harness = ServerHarness()
        let client = try harness.connect()
        let running = client.start("test/sleep", params: ["ms": 3000])
        waitStarted(harness, count: 1)
        let start = Date()
        XCTAssertEqual(try client.rpc.request("test/echo", params: ["value": 1], timeout: 2), ["value": 1])
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.2)
        client.rpc.cancel(running.id)
        XCTAssertEqual(running.errorCode(), .requestCancelled)
    }

    func testProgressBeginReportEndThenResponse() throws {
        let harness = ServerHarness()
        let client = try harness.connect()
        let done = DispatchSemaphore(value: 0)
        client.rpc.send("test/sleep", params: ["ms": 200, "steps": 4, "workDoneToken": "tok-1"]) { outcome in
            client.record(["response": (try? outcome.get()) ?? .null])
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        let events = client.recorded
        let progress = events.dropLast()
        XCTAssertEqual(events.last, ["response": ["slept": 200]], "the response comes after every progress notification")
        XCTAssertTrue(progress.allSatisfy { $0["method"] == "$/progress" && $0["params"]?["token"] == "tok-1" })
        let kinds = progress.compactMap { $0["params"]?["value"]?["kind"]?.stringValue }
        XCTAssertEqual(kinds, ["begin", "report", "report", "report", "report", "end"])
        let percentages = progress.dropFirst().dropLast().compactMap { $0["params"]?["value"]?["percentage"]?.intValue }
        XCTAssertEqual(percentages, [25, 50, 75, 100])
        XCTAssertEqual(progress.first?["params"]?["value"]?["title"], "test/sleep")

        let quiet = try harness.connect()
        _ = try quiet.rpc.request("test/sleep", params: ["ms": 50, "steps": 2], timeout: 5)
        XCTAssertEqual(quiet.recorded, [], "no workDoneToken, no $/progress")
    }

    func testDisconnectCancelsQueuedAndRunningWork() throws {
        let harness = ServerHarness()
        let other = try harness.connect()
        let leaving = try harness.connect()
        let running = leaving.start("test/sleep", params: ["ms": 5000])
        waitStarted(harness, count: 1)
        _ = leaving.start("test/sleep", params: ["ms": 5000])
        usleep(20_000)
        leaving.rpc.close()
        XCTAssertEqual(leaving.waitForExitCode(), 1)
        let start = Date()
        XCTAssertEqual(try other.rpc.request("test/sleep", params: ["ms": 0], timeout: 2), ["slept": 0])
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5, "the vanished client's work no longer holds the queue")
        XCTAssertEqual(harness.probes.cancelled, [running.id])
        XCTAssertEqual(harness.probes.startedCount, 2, "the vanished client's queued request never ran")
        XCTAssertEqual(other.recorded, [], "the other client noticed nothing")
    }

    /// Three requests sharing id 7 (one running, two queued), sent raw so the client does not
    /// object to the reuse.
    private func sendThreeSleepsWithID7(_ client: TestClient, _ harness: ServerHarness) {
        for _ in 0..<3 {
            XCTAssertTrue(client.rpc.sendRaw(body: Data(#"{"jsonrpc":"2.0","id":7,"method":"test/sleep","params":{"ms":5000}}"#.utf8)))
        }
        waitStarted(harness, count: 1)
        usleep(20_000)
    }

    func testCancelReachesEveryRequestSharingTheID() throws {
        let harness = ServerHarness()
        let client = try harness.connect()
        sendThreeSleepsWithID7(client, harness)
        let cancelAt = Date()
        client.rpc.notify("$/cancelRequest", params: ["id": 7])
        let answers = client.waitForRecorded(count: 3)
        XCTAssertLessThan(Date().timeIntervalSince(cancelAt), 0.5, "all three are answered at once")
        XCTAssertEqual(answers.count, 3)
        XCTAssertEqual(answers.map { $0["id"] }, [7, 7, 7])
        XCTAssertEqual(answers.map { $0["error"]?["code"] }, [-32800, -32800, -32800])
        XCTAssertEqual(harness.probes.startedCount, 1, "the two queued duplicates never ran")
        // The queue is free again.
        XCTAssertEqual(try client.rpc.request("test/sleep", params: ["ms": 0], timeout: 2), ["slept": 0])
    }

    func testDisconnectCancelsEveryRequestSharingAnID() throws {
        let harness = ServerHarness()
        let other = try harness.connect()
        let leaving = try harness.connect()
        sendThreeSleepsWithID7(leaving, harness)
        leaving.rpc.close()
        XCTAssertEqual(leaving.waitForExitCode(), 1)
        let start = Date()
        XCTAssertEqual(try other.rpc.request("test/sleep", params: ["ms": 0], timeout: 5), ["slept": 0])
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5, "the duplicates no longer hold the queue (12 s before)")
        XCTAssertEqual(harness.probes.startedCount, 2, "only the first id-7 request and the other client's ran")
    }

    func testAClientThatDoesNotReadIsDisconnectedAndDoesNotStallOthers() throws {
        let harness = ServerHarness(maxQueue: 16, maxOutputQueueBytes: 1 << 20)
        let other = try harness.connect()
        let (serverSide, silentSide) = try Connection.pipePair(outputQueueLimit: harness.server.configuration.maxOutputQueueBytes)
        let ended = DispatchSemaphore(value: 0)
        harness.server.serve(serverSide) { _ in ended.signal() }
        // The silent client writes requests and never reads: initialize, then 8 responses of 512 KiB.
        var requests = #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}"#
        for i in 1...8 { requests += "\n" + #"{"jsonrpc":"2.0","id":"# + "\(i)" + #","method":"test/blob","params":{"bytes":524288}}"# }
        for line in requests.split(separator: "\n") { XCTAssertTrue(silentSide.send(body: Data(line.utf8))) }
        // Meanwhile the other client's compute request is answered (the compute thread never blocks).
        let start = Date()
        XCTAssertEqual(try other.rpc.request("test/sleep", params: ["ms": 0], timeout: 10), ["slept": 0])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertEqual(ended.wait(timeout: .now() + 10), .success, "the silent client is disconnected")
        XCTAssertTrue(serverSide.outputOverflowed)
        XCTAssertEqual(harness.server.clientCount, 1)
        silentSide.close()
    }

    func testAResponseOverMaxMessageBytesBecomesAnError() throws {
        let harness = ServerHarness(maxMessageBytes: 10_000)
        let client = try harness.connect()
        XCTAssertEqual(try client.rpc.request("test/blob", params: ["bytes": 9_000], timeout: 5).stringValue?.count, 9_000)
        do {
            _ = try client.rpc.request("test/blob", params: ["bytes": 20_000], timeout: 5)
            XCTFail("a 20 kB response went out under a 10 kB limit")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidParams)
            XCTAssertEqual(error.data?["field"], "response")
            XCTAssertEqual(error.data?["maxMessageBytes"], 10_000)
            XCTAssertGreaterThan(error.data?["responseBytes"]?.intValue ?? 0, 20_000)
        }
    }
}
