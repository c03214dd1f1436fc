import Foundation
import JSONRPC
import XCTest

/// Each compute request logs where its time went (debug level, stderr): the line
/// Benchmarks/daemon_bench.py reads for its phase table (issue 17).
final class PhaseTimingTests: XCTestCase {
    func testAComputeRequestLogsItsPhases() throws {
        let folder = try DaemonSupport.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let logURL = folder.appendingPathComponent("attnd.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let client = try RPCClient.spawn(executable: DaemonSupport.attnd(),
                                         arguments: ["--stdio", "--log-level", "debug", "--no-history",
                                                     "--model", DaemonSupport.model("tiny-peaked")],
                                         stderr: FileHandle(forWritingAtPath: logURL.path))
        _ = try client.request("initialize", params: [:], timeout: 30)
        _ = try client.request("pruneSweep", params: ["tokens": [1, 2, 3, 4, 5, 6, 7, 8], "blockSizes": [2],
                                                      "thresholds": [0.1], "endToEnd": true], timeout: 30)
        // The line is logged just after the response is sent (its `send` phase is in it): wait for
        // it before ending the session, or `exit` can win the race.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !((try? String(contentsOf: logURL, encoding: .utf8)) ?? "").contains("timings pruneSweep id=") {
            Thread.sleep(forTimeInterval: 0.02)
        }
        DaemonSupport.stop(client)
        let log = try String(contentsOf: logURL, encoding: .utf8)
        let line = try XCTUnwrap(log.split(separator: "\n").first { $0.contains("timings pruneSweep id=") }, log)
        var phases: [String: Double] = [:]
        let afterID = line.components(separatedBy: " id=").last?.split(separator: " ").dropFirst() ?? []
        for item in afterID where item.contains("=") {
            let parts = item.split(separator: "=", maxSplits: 1)
            if let value = Double(parts[1]) { phases[String(parts[0])] = value }
        }
        for phase in ["tokenize", "forward", "analysis", "prunedForward", "compare", "encode", "send", "total"] {
            XCTAssertNotNil(phases[phase], "\(phase) missing from \(line)")
        }
        let parts = phases.filter { $0.key != "total" }.values.reduce(0, +)
        XCTAssertLessThanOrEqual(parts, phases["total"]! + 1e-3, "the phases do not overlap: \(line)")
        XCTAssertGreaterThan(phases["forward"]!, 0)
    }
}
