import AttnProtocol
import Foundation
import JSONRPC
import XCTest

/// `evaluateCorpus.computedWindows` on the real daemon: windows computed as ranges (on a daemon
/// without history) and handed to a second daemon are stored as one run equal to the run a single
/// daemon computes (`runs/get` result, params, cache key), and bad records name their field.
final class CorpusMergeDaemonTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try DaemonSupport.temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private var model: String { DaemonSupport.model("tiny-peaked") }
    private var corpusPath: String {
        DaemonSupport.fixtures.appendingPathComponent("reference/corpus/corpus.txt").path
    }
    private var params: [String: JSONValue] {
        ["path": .string(corpusPath), "maxLength": 40, "stride": 27,
         "settings": [["threshold": 0.05, "blockSize": 4], ["selection": "topK", "threshold": 2, "blockSize": 8, "keepSink": true]]]
    }

    /// The plan's windows as three ranges on a history-less daemon (as Dask workers compute them).
    private func rangeRecords(_ client: RPCClient) throws -> (records: [JSONValue], model: JSONValue) {
        let head = try client.request("evaluateCorpus", params: .object(params.merging(["windows": ["start": 0, "end": 1]]) { $1 }))
        let n = try XCTUnwrap(head["windows"]?.intValue)
        var records = head["perWindow"]!.array
        for (start, end) in [(1, n / 2), (n / 2, n)] {
            let part = try client.request("evaluateCorpus", params: .object(params.merging(["windows": ["start": .int(Int64(start)), "end": .int(Int64(end))]]) { $1 }))
            records += part["perWindow"]!.array
        }
        return (records, head["model"]!)
    }

    func testMergedWindowsAreStoredAsASingleDaemonsRun() throws {
        let workers = try DaemonSupport.spawn(["--model", model, "--no-history"])
        defer { DaemonSupport.stop(workers) }
        let (records, fingerprint) = try rangeRecords(workers)

        let single = try DaemonSupport.spawn(["--model", model, "--db", folder.appendingPathComponent("single.sqlite").path])
        defer { DaemonSupport.stop(single) }
        let computed = try single.request("evaluateCorpus", params: .object(params), timeout: 120)
        let singleRun = try single.request("runs/get", params: ["id": computed["runId"]!])

        let merger = try DaemonSupport.spawn(["--model", model, "--db", folder.appendingPathComponent("merged.sqlite").path])
        defer { DaemonSupport.stop(merger) }
        var merge = params
        merge["computedWindows"] = ["model": fingerprint, "windows": .array(records)]
        let merged = try merger.request("evaluateCorpus", params: .object(merge), timeout: 120)
        XCTAssertEqual(merged["cached"], false)
        XCTAssertEqual(merged["windowsReused"], 0)
        let mergedRun = try merger.request("runs/get", params: ["id": merged["runId"]!])

        // The stored runs agree in everything but their ids (== on every number).
        var a = try XCTUnwrap(singleRun["result"]?.objectValue), b = try XCTUnwrap(mergedRun["result"]?.objectValue)
        XCTAssertNotEqual(a["runId"], b["runId"])
        a["runId"] = nil; b["runId"] = nil
        XCTAssertEqual(JSONValue.object(a), JSONValue.object(b))
        XCTAssertEqual(mergedRun["params"], singleRun["params"], "same canonical params (no computedWindows)")
        XCTAssertNil(mergedRun["params"]?["computedWindows"])
        XCTAssertEqual(mergedRun["method"], "evaluateCorpus")
        XCTAssertEqual(mergedRun["summary"], singleRun["summary"])
        let listed = try merger.request("runs/list", params: ["method": "evaluateCorpus"])
        XCTAssertEqual(listed["runs"]?.array.map { $0["id"] }, [merged["runId"]!])
        // Same cache key: the plain request is now answered by the merged run.
        let again = try merger.request("evaluateCorpus", params: .object(params), timeout: 120)
        XCTAssertEqual(again["cached"], true)
        XCTAssertEqual(again["runId"], merged["runId"])
        // The report takes the merged run.
        let report = try merger.request("runs/report", params: ["ids": [merged["runId"]!]])
        XCTAssertNotNil(report["html"]?.stringValue)
    }

    func testRefusesRecordsThatAreNotThisDaemonsPlan() throws {
        let client = try DaemonSupport.spawn(["--model", model, "--no-history"])
        defer { DaemonSupport.stop(client) }
        let (records, fingerprint) = try rangeRecords(client)
        func with(_ change: (inout [JSONValue]) -> Void, model: JSONValue? = nil, extra: [String: JSONValue] = [:]) -> JSONValue {
            var r = records
            change(&r)
            var p = params.merging(extra) { $1 }
            p["computedWindows"] = ["model": model ?? fingerprint, "windows": .array(r)]
            return .object(p)
        }
        func set(_ i: Int, _ key: String, _ value: JSONValue) -> (inout [JSONValue]) -> Void {
            { r in var o = r[i].objectValue!; o[key] = value; r[i] = .object(o) }
        }
        func setSetting(_ i: Int, _ key: String, _ value: JSONValue) -> (inout [JSONValue]) -> Void {
            { r in
                var o = r[i].objectValue!
                var s = o["settings"]!.array
                var first = s[0].objectValue!; first[key] = value; s[0] = .object(first)
                o["settings"] = .array(s); r[i] = .object(o)
            }
        }
        let cases: [(JSONValue, String, String)] = [
            (with({ _ in }, model: .string(String(repeating: "0", count: 64))), "computedWindows.model", "fingerprint"),
            (with({ $0.removeLast() }), "computedWindows.windows", "window records"),
            (with({ $0 = [] }), "computedWindows.windows", "non-empty"),
            (with({ $0.swapAt(1, 2) }), "computedWindows.windows[1].index", "window 1"),
            (with(set(2, "begin", 1)), "computedWindows.windows[2].begin", "plan"),
            (with(set(3, "weight", 0)), "computedWindows.windows[3].weight", "plan"),
            (with(set(0, "denseNLLSum", -1)), "computedWindows.windows[0].denseNLLSum", "0"),
            (with(set(0, "bogus", 1)), "computedWindows.windows[0].bogus", "unknown"),
            (with(setSetting(1, "top1Agreements", 1000)), "computedWindows.windows[1].settings[0].top1Agreements", "1000"),
            (with(setSetting(1, "nllSum", "x")), "computedWindows.windows[1].settings[0].nllSum", "number"),
            (with({ r in var o = r[0].objectValue!; o["settings"] = .array([o["settings"]!.array[0]]); r[0] = .object(o) }),
             "computedWindows.windows[0].settings", "one per setting"),
            (with({ _ in }, extra: ["windows": ["start": 0, "end": 1]]), "computedWindows", "without windows"),
        ]
        for (request, field, words) in cases {
            guard let e = DaemonSupport.error(client, "evaluateCorpus", request) else { continue }
            XCTAssertEqual(e.code, .invalidParams, field)
            XCTAssertEqual(e.data?["field"]?.stringValue, field, e.message)
            XCTAssertTrue(e.message.contains(words) || "\(e.data ?? .null)".contains(words), "\(field): \(e.message) / \(e.data ?? .null)")
        }
    }
}
