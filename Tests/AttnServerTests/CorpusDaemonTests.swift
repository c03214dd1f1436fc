import AttnProtocol
import Foundation
import JSONRPC
import XCTest

/// `evaluateCorpus` on the real daemon: HuggingFace's numbers (the corpus goldens), input
/// refusals, and resuming after a cancel, a SIGKILL and a restart with identical final numbers.
final class CorpusDaemonTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try DaemonSupport.temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private var model: String { DaemonSupport.model("tiny-peaked") }
    private var dbPath: String { folder.appendingPathComponent("runs.sqlite").path }
    private static let corpusFolder = DaemonSupport.fixtures.appendingPathComponent("reference/corpus")
    private var corpusPath: String { Self.corpusFolder.appendingPathComponent("corpus.txt").path }

    private func golden() throws -> JSONValue {
        try JSONParser.parse(Data(contentsOf: Self.corpusFolder.appendingPathComponent("golden_tiny-peaked.json")))
    }

    private func relative(_ a: JSONValue?, _ b: JSONValue?, _ tolerance: Double, _ what: String,
                          file: StaticString = #filePath, line: UInt = #line) {
        guard let x = a?.doubleValue, let y = b?.doubleValue else { return XCTFail("\(what): \(String(describing: a)) vs \(String(describing: b))", file: file, line: line) }
        XCTAssertLessThanOrEqual(abs(x - y), tolerance * max(abs(x), abs(y)), "\(what): \(x) vs HF \(y)", file: file, line: line)
    }

    private func settings(of c: JSONValue) -> JSONValue {
        .array(c["settings"]!.array.map { s in
            .object(["selection": s["selection"]!, "threshold": s["threshold"]!, "blockSize": s["blockSize"]!,
                     "keepSink": s["keepSink"]!, "keepLocal": s["keepLocal"]!])
        })
    }

    /// Every golden case through the daemon, from the file (`path`) and, for the first, as `text`.
    func testMatchesHuggingFacesGuideFromPathAndText() throws {
        let client = try DaemonSupport.spawn(["--model", model, "--no-history"])
        defer { DaemonSupport.stop(client) }
        for (i, c) in try golden()["cases"]!.array.enumerated() {
            let maxLength = c["maxLength"]!, stride = c["stride"]!
            var params: [String: JSONValue] = ["path": .string(corpusPath), "maxLength": maxLength, "settings": settings(of: c),
                                               "perWindow": true]
            // 128/64: stride left to its default, maxLength / 2.
            if !(maxLength == 128 && stride == 64) { params["stride"] = stride }
            let r = try client.request("evaluateCorpus", params: .object(params), timeout: 120)
            let label = "maxLength \(maxLength) stride \(stride)"
            XCTAssertEqual(r["stride"], stride, label)
            XCTAssertEqual(r["windows"]?.intValue, c["windows"]?.array.count, label)
            XCTAssertEqual(r["windowsReused"], 0, label)
            XCTAssertEqual(r["tokensScored"], c["tokensScored"], label)
            XCTAssertEqual(r["predictionsScored"], c["predictionsScored"], label)
            XCTAssertEqual(r["numTokens"]?.intValue, try golden()["tokens"]?.array.count)
            relative(r["dense"]?["nll"], c["nll"], 1e-5, "\(label) dense NLL")
            relative(r["dense"]?["perplexity"], c["perplexity"], 1e-5, "\(label) dense perplexity")
            for (got, want) in zip(r["settings"]!.array, c["settings"]!.array) {
                relative(got["nll"], want["nll"], 1e-5, "\(label) \(want["selection"]!) NLL")
                relative(got["perplexity"], want["perplexity"], 1e-5, "\(label) perplexity")
                XCTAssertEqual(got["deltaNLL"]?["n"], want["deltaNLL"]?["n"])
                XCTAssertEqual(got["setting"]?["blockSize"], want["blockSize"])
            }
            let windows = r["perWindow"]!.array
            for (got, want) in zip(windows, c["windows"]!.array) {
                XCTAssertEqual(got["begin"], want["begin"]); XCTAssertEqual(got["end"], want["end"])
                XCTAssertEqual(got["targetLength"], want["targetLength"]); XCTAssertEqual(got["weight"], want["guideWeight"])
                XCTAssertEqual(got["predictions"], want["predictions"])
                relative(got["denseNLL"], want["loss"], 1e-5, "\(label) window loss")
            }
            if i == 0 {
                let text = try String(contentsOfFile: corpusPath, encoding: .utf8)
                var byText = params
                byText["path"] = nil
                byText["text"] = .string(text)
                let t = try client.request("evaluateCorpus", params: .object(byText), timeout: 120)
                XCTAssertEqual(t["dense"], r["dense"], "text and path give the same numbers")
                XCTAssertEqual(t["settings"], r["settings"])
            }
        }
    }

    func testRefusesBadInputsNamingTheField() throws {
        let client = try DaemonSupport.spawn(["--model", model, "--no-history"])
        defer { DaemonSupport.stop(client) }
        let binary = folder.appendingPathComponent("latin1.txt")
        try Data([0x63, 0x61, 0x66, 0xE9, 0x20, 0x6E, 0x6F, 0x69, 0x72]).write(to: binary)   // "café noir" in Latin-1
        let big = folder.appendingPathComponent("big.txt")
        FileManager.default.createFile(atPath: big.path, contents: nil)
        let handle = try FileHandle(forWritingTo: big)
        try handle.truncate(atOffset: UInt64(EvaluateCorpusParams.maxCorpusBytes + 1))   // sparse
        try handle.close()
        let cases: [(JSONValue, String, String)] = [
            (["path": "relative/corpus.txt"], "path", "absolute"),
            (["path": .string(folder.path + "/../x.txt")], "path", ".."),
            (["path": .string(folder.path + "/a\u{0}b")], "path", "NUL"),
            (["path": .string(folder.path + "/missing.txt")], "path", "cannot be opened"),
            (["path": .string(folder.path)], "path", "not a regular file"),
            (["path": .string(binary.path)], "path", "not valid UTF-8"),
            (["path": .string(big.path)], "path", "over the limit of 67108864 bytes"),
            (["text": "a b c", "path": .string(corpusPath)], "path", "exactly one"),
            ([:], "text|path", "required"),
            (["text": "some words", "maxLength": 129], "maxLength", "129"),
            (["text": "some words", "maxLength": 1], "maxLength", "2"),
            (["text": "some words", "maxLength": 16, "stride": 17], "stride", "17"),
            (["text": "some words", "stride": 129, "maxLength": 128], "stride", "[1, 128]"),
            (["text": "some words", "stride": 129], "stride", "1…128 (maxLength)"),
            (["text": "a"], "text", "at least 2 tokens"),
            (["text": "some words", "settings": [["threshold": 2]]], "settings[0].threshold", "(0, 1]"),
            (["text": "some words", "settings": [["selection": "topK", "threshold": 2], ["bogus": 1]]], "settings[1].bogus", "unknown"),
            (["text": "some words", "settings": "threshold"], "settings", "array"),
        ]
        for (params, field, words) in cases {
            guard let e = DaemonSupport.error(client, "evaluateCorpus", params) else { continue }
            XCTAssertEqual(e.code, .invalidParams, "\(params)")
            XCTAssertEqual(e.data?["field"]?.stringValue, field, "\(params): \(e.message)")
            XCTAssertTrue(e.message.contains(words) || "\(e.data ?? .null)".contains(words), "\(params): \(e.message) / \(e.data ?? .null)")
        }
    }

    /// A long evaluation (maxLength 32, stride 8: 96 windows × 2 passes) cancelled mid-run, then killed with
    /// SIGKILL mid-run in a second daemon, then finished by a third: each continues from the first
    /// missing window, and the final numbers equal an uninterrupted run's exactly.
    func testResumesAfterCancelSigkillAndRestartWithIdenticalNumbers() throws {
        let params: [String: JSONValue] = ["path": .string(corpusPath), "maxLength": 32, "stride": 8,
                                           "settings": [["selection": "threshold", "threshold": 0.01, "blockSize": 16]],
                                           "perWindow": true, "workDoneToken": "w"]
        let windowsDone = WindowCounter()
        func spawn() throws -> RPCClient {
            try DaemonSupport.spawn(["--model", model, "--db", dbPath], onNotification: { windowsDone.note($0) })
        }
        // 1. cancel once a few windows are stored.
        let first = try spawn()
        var outcome: Result<JSONValue, RPCError>?
        let done = DispatchSemaphore(value: 0)
        let id = first.send("evaluateCorpus", params: .object(params)) { outcome = $0; done.signal() }
        XCTAssertTrue(windowsDone.wait(atLeast: 20, timeout: 60), "progress reports windows")
        first.cancel(id)
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        guard case .failure(let e)? = outcome else { return XCTFail("the cancelled evaluation answered \(String(describing: outcome))") }
        XCTAssertEqual(e.code, .requestCancelled)
        DaemonSupport.stop(first)
        let afterCancel = windowsDone.last
        // 2. a new daemon resumes, and is killed mid-run.
        windowsDone.reset()
        let second = try spawn()
        second.send("evaluateCorpus", params: .object(params)) { _ in }
        XCTAssertTrue(windowsDone.wait(atLeast: afterCancel + 20, timeout: 60), "the second daemon goes on from window \(afterCancel)")
        XCTAssertGreaterThanOrEqual(windowsDone.first, afterCancel, "it did not start over")
        let afterKill = windowsDone.last
        kill(second.process!.processIdentifier, SIGKILL)
        _ = second.waitForExit(timeout: 10)
        // 3. a third finishes; at most the window in flight was lost.
        let third = try spawn()
        let resumed = try third.request("evaluateCorpus", params: .object(params), timeout: 300)
        DaemonSupport.stop(third)
        let total = try XCTUnwrap(resumed["windows"]?.intValue)
        let reused = try XCTUnwrap(resumed["windowsReused"]?.intValue)
        XCTAssertEqual(total, 96, "begins 0, 8, …, 760 (760 + 32 ≥ 789)")
        XCTAssertGreaterThanOrEqual(reused, afterKill - 1, "a SIGKILL loses at most the window in flight")
        XCTAssertLessThan(reused, total)
        // The uninterrupted run, on a daemon without history.
        let fresh = try DaemonSupport.spawn(["--model", model, "--no-history"])
        defer { DaemonSupport.stop(fresh) }
        let whole = try fresh.request("evaluateCorpus", params: .object(params), timeout: 300)
        XCTAssertEqual(whole["windowsReused"], 0)
        for member in ["dense", "settings", "perWindow", "tokensScored", "predictionsScored", "windows"] {
            XCTAssertEqual(resumed[member], whole[member], "\(member) of the resumed run equals the uninterrupted run's")
        }
        // The same request again is the cached completed run.
        let again = try spawn()
        defer { DaemonSupport.stop(again) }
        let cached = try again.request("evaluateCorpus", params: .object(params), timeout: 60)
        XCTAssertEqual(cached["cached"], true)
        XCTAssertEqual(cached["runId"], resumed["runId"])
    }
}

/// The highest "window k of N" a daemon's progress has reported.
private final class WindowCounter: @unchecked Sendable {
    private let lock = NSCondition()
    private var seen: [Int] = []

    func note(_ n: RPCNotification) {
        guard n.method == "$/progress", let message = n.params?["value"]?["message"]?.stringValue,
              message.hasPrefix("window "), let k = Int(message.split(separator: " ")[1]) else { return }
        lock.lock(); seen.append(k); lock.broadcast(); lock.unlock()
    }
    var last: Int { lock.lock(); defer { lock.unlock() }; return seen.max() ?? 0 }
    var first: Int { lock.lock(); defer { lock.unlock() }; return seen.min() ?? 0 }
    func reset() { lock.lock(); seen = []; lock.unlock() }
    func wait(atLeast k: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock(); defer { lock.unlock() }
        while (seen.max() ?? 0) < k { if !lock.wait(until: deadline) { return false } }
        return true
    }
}
