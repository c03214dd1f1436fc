import AttnProtocol
import Foundation
import JSONRPC
import TestSupport
import XCTest

/// `profileAttention`, then `pruneSweep`, then `perPositionKL` on the same text run the
/// forward pass once: the daemon's debug log says when it runs the model and when the
/// dense-pass cache answers. (`profileAttention` also runs its induction sequence, 101 tokens
/// by default: that pass is counted apart, in `inductionRuns`.)
final class DenseCacheDaemonTests: XCTestCase {
    /// Runs `requests` (method, params) in one daemon; the forward passes run and cache hits
    /// its debug log reports, and the results.
    private func runsAndHits(budget: Int, requests: [(String, JSONValue)]) throws
        -> (runs: Int, hits: Int, inductionRuns: Int, results: [JSONValue]) {
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
        let results = try requests.map { try client.request($0.0, params: $0.1, timeout: 120) }
        DaemonSupport.stop(client)
        try handle.close()
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        let induction = "(\(2 * ProfileAttentionParams.defaultInductionLength + 1) tokens"
        let passes = lines.filter { $0.contains("dense pass: running the forward pass") }
        return (passes.filter { !$0.contains(induction) }.count,
                lines.filter { $0.contains("dense pass: cache hit") && !$0.contains(induction) }.count,
                passes.filter { $0.contains(induction) }.count, results)
    }

    private let text: JSONValue = "Attention is all you need, said the paper; the notebook disagreed."

    private var threeAnalyses: [(String, JSONValue)] {
        [("profileAttention", ["text": text]), ("pruneSweep", ["text": text, "blockSizes": [4]]),
         ("perPositionKL", ["text": text, "blockSize": 4])]
    }

    /// Estimators read Q and K: the cache keeps them with the attention, so a sweep per
    /// estimator after a profile runs no model either, and answers what a fresh pass answers.
    func testEstimatorSweepsRunFromTheCachedQueriesAndKeys() throws {
        let sweeps: [(String, JSONValue)] = ["meanPool", "quest", "antidiagonal"].map { estimator in
            ("pruneSweep", ["text": text, "estimator": .string(estimator), "queryBlockSize": 4, "blockSizes": [4, 8],
                            "selection": "coverage", "thresholds": [0.5, 0.9], "stride": 2, "force": true])
        }
        let cached = try runsAndHits(budget: 1 << 30, requests: [("profileAttention", ["text": text])] + sweeps)
        XCTAssertEqual(cached.runs, 1)
        XCTAssertEqual(cached.hits, 3)
        let uncached = try runsAndHits(budget: 0, requests: [("profileAttention", ["text": text])] + sweeps)
        XCTAssertEqual(uncached.runs, 4)
        for (a, b) in zip(cached.results.dropFirst(), uncached.results.dropFirst()) {
            XCTAssertEqual(a["points"], b["points"], "the cached Q and K give the fresh pass's points bit for bit")
        }
    }

    func testThreeAnalysesOfOneTextRunTheModelOnce() throws {
        let r = try runsAndHits(budget: 1 << 30, requests: threeAnalyses)
        XCTAssertEqual(r.runs, 1)
        XCTAssertEqual(r.hits, 2)
        XCTAssertEqual(r.inductionRuns, 1, "the profile's induction sequence: one pass per request")
    }

    /// A profile from the cache (whose pass kept the softmax's row entropies) equals the profile
    /// of a fresh pass bit for bit; two profiles share one induction pass per daemon.
    func testACachedProfileEqualsAFreshOne() throws {
        let profile: (String, JSONValue) = ("profileAttention", ["text": text, "blockSize": 4, "force": true])
        let cached = try runsAndHits(budget: 1 << 30, requests: [profile, profile])
        XCTAssertEqual(cached.runs, 1)
        XCTAssertEqual(cached.hits, 1)
        XCTAssertEqual(cached.inductionRuns, 1, "the induction scores are kept with the model")
        let fresh = try runsAndHits(budget: 0, requests: [profile])
        XCTAssertEqual(fresh.runs, 1)
        for result in cached.results {
            XCTAssertEqual(result["layers"], fresh.results[0]["layers"])
            XCTAssertEqual(result["summary"], fresh.results[0]["summary"])
        }
        XCTAssertNotNil(fresh.results[0]["summary"]?["entropy"]?.doubleValue)
    }

    func testAZeroBudgetRunsTheModelEachTime() throws {
        let r = try runsAndHits(budget: 0, requests: threeAnalyses)
        XCTAssertEqual(r.runs, 3)
        XCTAssertEqual(r.hits, 0)
    }
}
