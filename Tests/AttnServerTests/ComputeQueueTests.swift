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

    func testExclusiveRunsAfterRunningWorkAndHoldsOffImmediateRequests() throws {
        let harness = ServerHarness()
        let client = try harness.connect()
        let sleeper = client.start("test/sleep", params: ["ms": 150])
        waitStarted(harness, count: 1)
        let exclusive = client.start("test/exclusive", params: ["ms": 200])
        waitStarted(harness, count: 1)
        XCTAssertEqual(try client.rpc.request("test/echo", params: ["value": 1], timeout: 5), ["value": 1])
        XCTAssertEqual(try sleeper.wait()?.get(), ["slept": 150])
        XCTAssertEqual(try exclusive.wait()?.get(), true)
        XCTAssertEqual(harness.probes.entries, ["sleep end", "exclusive begin", "exclusive end", "echo"])
    }
}
