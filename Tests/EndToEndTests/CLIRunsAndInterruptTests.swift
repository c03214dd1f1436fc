import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `runs list|show|diff|rm` over one history database, and Ctrl-C on a running sweep.
final class CLIRunsAndInterruptTests: XCTestCase {
    private let text = "The quick brown fox jumps over the lazy dog"

    func testRunsListShowDiffAndRemove() throws {
        let harness = try AttnHarness()
        let first = try harness.json(["sweep", "--thresholds", "0.1,0.05", "--block-sizes", "2", text])
        let second = try harness.json(["sweep", "--thresholds", "0.1,0.02", "--block-sizes", "2", "--keep-sink", text])
        let idA = try XCTUnwrap(first["runId"] as? String)
        let idB = try XCTUnwrap(second["runId"] as? String)
        XCTAssertNotEqual(idA, idB)

        let list = try harness.json(["runs", "list", "--method", "pruneSweep"])
        let ids = try XCTUnwrap(list["runs"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        XCTAssertEqual(Set(ids), [idA, idB])
        let table = try harness.run(["runs", "list"] + harness.modelArguments)
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains(idA) && table.stdout.contains(idB), table.stdout)

        let show = try harness.run(["runs", "show", idA] + harness.modelArguments)
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("pruneSweep") && show.stdout.contains("block size"), show.stdout)

        let diff = try harness.run(["runs", "diff", idA, idB] + harness.modelArguments)
        XCTAssertEqual(diff.status, 0, diff.stderr)
        let rows = diff.stdout.split(separator: "\n").filter { $0.hasPrefix("threshold ") }
        XCTAssertEqual(rows.count, 3, "0.1 matched, 0.05 only in A, 0.02 only in B:\n\(diff.stdout)")
        XCTAssertEqual(rows.filter { $0.contains("—") }.count, 2, diff.stdout)

        let removed = try harness.run(["runs", "rm", idA] + harness.modelArguments)
        XCTAssertEqual(removed.status, 0, removed.stderr)
        let gone = try harness.run(["runs", "show", idA] + harness.modelArguments)
        XCTAssertEqual(gone.status, 1)
        XCTAssertTrue(gone.stderr.hasPrefix("attn: error -32005: "), gone.stderr)
    }

    func testRunsDiffRefusesANonSweepRun() throws {
        let harness = try AttnHarness()
        let forward = try harness.json(["forward", text])
        let sweep = try harness.json(["sweep", "--thresholds", "0.1", "--block-sizes", "2", text])
        let outcome = try harness.run(["runs", "diff", try XCTUnwrap(forward["runId"] as? String),
                                       try XCTUnwrap(sweep["runId"] as? String)] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("runs diff compares two pruneSweep runs"), outcome.stderr)
    }

    /// A long sweep (64 thresholds × 32 block sizes, end to end, 128 tokens); SIGINT once its
    /// progress has begun → `$/cancelRequest`, -32800, exit 130.
    func testCtrlCOnARunningSweepExits130() throws {
        let harness = try AttnHarness()
        let thresholds = (1...64).map { String(format: "%.4f", Double($0) / 65) }.joined(separator: ",")
        let blockSizes = (1...32).map(String.init).joined(separator: ",")
        let tokens = (0..<128).map { String(($0 * 37) % 500 + 1) }.joined(separator: ",")
        let running = try harness.start(["sweep", "--tokens", tokens, "--thresholds", thresholds, "--block-sizes", blockSizes,
                                         "--end-to-end", "--progress", "--no-history"] + harness.modelArguments)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, running.process.isRunning, !running.stderrSoFar.contains("%") { usleep(20_000) }
        XCTAssertTrue(running.process.isRunning, "the sweep ended before it could be interrupted: \(running.stderrSoFar)")
        XCTAssertTrue(running.stderrSoFar.contains("%"), "no progress within 60 s: \(running.stderrSoFar)")
        let sentAt = Date()
        kill(running.process.processIdentifier, SIGINT)
        let outcome = running.finish(timeout: 10)
        XCTAssertEqual(outcome.status, 130, outcome.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(sentAt), 2.0, "answered within the cancel grace period")
        XCTAssertTrue(outcome.stderr.hasSuffix("attn: interrupted\n"), outcome.stderr)
        XCTAssertEqual(outcome.stdout, "")
    }
}
