import Foundation
import JSONRPC
import TestSupport
import XCTest

/// `profileAttention`, then `pruneSweep`, then `perPositionKL` on the same text run the
/// forward pass once: the daemon's debug log says when it runs the model and when the
/// dense-pass cache answers.
final class DenseCacheDaemonTests: XCTestCase {
    private func runsAndHits(budget: Int) throws -> (runs: Int, hits: Int) {
        let folder = try DaemonSupport.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("stderr.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let client = try RPCClient.spawn(executable: BuiltProducts.executable("attnd"),
                                         arguments: ["--stdio", "--log-level", "debug", "--no-history",
                                                     "--model", DaemonSupport.model("tiny-peaked"),
                                                     "--cache-budget-bytes", String(budget)],
                                         stderr: handle)
        _ = try client.request("initialize", timeout: 30)
        let text: JSONValue = "Attention is all you need, said the paper; the notebook disagreed."
        _ = try client.request("profileAttention", params: ["text": text])
        _ = try client.request("pruneSweep", params: ["text": text, "blockSizes": [4]])
        _ = try client.request("perPositionKL", params: ["text": text, "blockSize": 4])
        DaemonSupport.stop(client)
        try handle.close()
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        return (lines.filter { $0.contains("dense pass: running the forward pass") }.count,
                lines.filter { $0.contains("dense pass: cache hit") }.count)
    }

    func testThreeAnalysesOfOneTextRunTheModelOnce() throws {
        let r = try runsAndHits(budget: 1 << 30)
        XCTAssertEqual(r.runs, 1)
        XCTAssertEqual(r.hits, 2)
    }

    func testAZeroBudgetRunsTheModelEachTime() throws {
        let r = try runsAndHits(budget: 0)
        XCTAssertEqual(r.runs, 3)
        XCTAssertEqual(r.hits, 0)
    }
}
