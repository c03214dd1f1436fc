import AttnProtocol
import Foundation
import GPT2
import JSONRPC
import XCTest

/// The model-backed methods through the real daemon on the tiny fixture model, checked
/// against HuggingFace's committed outputs where a number can be checked independently.
final class DaemonMethodsTests: XCTestCase {
    private var folder: URL!
    private var client: RPCClient!

    override func setUpWithError() throws {
        folder = try DaemonSupport.temporaryFolder()
        client = try DaemonSupport.spawn(["--model", DaemonSupport.model("tiny-peaked"),
                                          "--db", folder.appendingPathComponent("runs.sqlite").path])
    }

    override func tearDown() {
        if let client { DaemonSupport.stop(client) }
        try? FileManager.default.removeItem(at: folder)
    }

    private struct Case: Decodable { let text: String; let tokens: [Int] }

    private func referenceCase(_ name: String) throws -> Case {
        let data = try Data(contentsOf: DaemonSupport.fixtures.appendingPathComponent("reference/tiny-peaked/index.json"))
        return try XCTUnwrap(try JSONDecoder().decode([String: Case].self, from: data)[name])
    }

    private func reference(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(url: DaemonSupport.fixtures.appendingPathComponent("reference/tiny-peaked/\(name).safetensors"))
    }

    func testInitializeReportsModelAndModelInfoAgrees() throws {
        let info = try client.request("model/info")
        XCTAssertEqual(info["nLayer"], 2)
        XCTAssertEqual(info["nHead"], 4)
        XCTAssertEqual(info["nEmbd"], 32)
        XCTAssertEqual(info["nPositions"], 128)
        XCTAssertEqual(info["vocabSize"], 512)
        XCTAssertEqual(info["parameterCount"], 45_952)
        XCTAssertEqual(info["name"], "tiny-peaked")
        XCTAssertEqual(info["fingerprint"]?.stringValue?.count, 64)
    }

    func testATokenizeAnswerOverMaxMessageBytesIsRefusedBeforeItIsBuilt() throws {
        let small = try DaemonSupport.spawn(["--model", DaemonSupport.model("tiny-peaked"), "--no-history",
                                             "--max-message-bytes", "20000"])
        defer { DaemonSupport.stop(small) }
        // 6000 bytes of text: under the message limit as a request, but its answer (≥ 12 bytes a
        // token beyond the pieces) would be far over it.
        let text = String(repeating: "a b ", count: 1500)
        let error = try XCTUnwrap(DaemonSupport.error(small, "tokenize", ["text": .string(text)]))
        XCTAssertEqual(error.code, .invalidParams)
        XCTAssertEqual(error.data?["field"], "text")
        XCTAssertEqual(error.data?["maxMessageBytes"], 20000)
        XCTAssertTrue(error.message.contains("tokenize it in parts"), error.message)
        // A short text is still answered on the same connection.
        XCTAssertEqual(try small.request("tokenize", params: ["text": "a b"], timeout: 10)["tokens"]?.array.isEmpty, false)
    }

    func testTokenizeGivesHuggingFaceIDsPiecesAndByteOffsets() throws {
        let c = try referenceCase("english")
        let r = try client.request("tokenize", params: ["text": .string(c.text)])
        XCTAssertEqual(r["tokens"]?.array.compactMap(\.intValue), c.tokens)
        let pieces = r["pieces"]?.array.compactMap(\.stringValue) ?? []
        XCTAssertEqual(pieces.joined(), c.text)
        let offsets = r["offsets"]?.array.map { $0.array.compactMap(\.intValue) } ?? []
        XCTAssertEqual(offsets.first, [0, pieces.first?.utf8.count ?? -1])
        XCTAssertEqual(offsets.last?.last, c.text.utf8.count)
        let empty = try client.request("tokenize", params: ["text": ""])
        XCTAssertEqual(empty["tokens"], [])
    }

    func testForwardMatchesHuggingFaceArgmaxAndNLL() throws {
        let c = try referenceCase("english")
        let r = try client.request("forward", params: ["tokens": .array(c.tokens.map { .int(Int64($0)) }), "topK": 3])
        let ref = try reference("english")
        let logits = try ref.floatTensor("logits")      // (T, V)
        let V = 512, T = c.tokens.count
        var nll = 0.0
        var argmax: [Int] = []
        for t in 0..<T {
            let row = (0..<V).map { Double(logits.buffer[t * V + $0]) }
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            argmax.append(row.firstIndex(of: m)!)
            if t + 1 < T { nll += lse - row[c.tokens[t + 1]] }
        }
        nll /= Double(T - 1)
        XCTAssertEqual(r["argmax"]?.array.compactMap(\.intValue), argmax)
        XCTAssertEqual(try XCTUnwrap(r["nll"]?.doubleValue), nll, accuracy: 1e-4)
        XCTAssertEqual(try XCTUnwrap(r["perplexity"]?.doubleValue), exp(nll), accuracy: 1e-3 * exp(nll))
        let top = try XCTUnwrap(r["top"]?.array.first?.array)
        XCTAssertEqual(top.count, 3)
        XCTAssertEqual(top.first?["token"]?.intValue, argmax[0])
        let lp = top.compactMap { $0["logprob"]?.doubleValue }
        XCTAssertEqual(lp, lp.sorted(by: >))
        XCTAssertEqual(r["numTokens"], .int(Int64(T)))
        XCTAssertEqual(r["cached"], false)
        XCTAssertEqual(r["history"]?["stored"], true)

        let single = try client.request("forward", params: ["tokens": [5]])
        XCTAssertEqual(single["nll"], .null)
        XCTAssertEqual(single["perplexity"], .null)
    }

    func testProfileSinkMassMatchesHuggingFaceAttention() throws {
        let c = try referenceCase("english")
        let r = try client.request("profileAttention", params: ["text": .string(c.text), "blockSize": 4])
        let attention = try reference("english").floatTensor("attentions")   // (L, H, T, T)
        let T = c.tokens.count, H = 4
        let layers = try XCTUnwrap(r["layers"]?.array)
        XCTAssertEqual(layers.count, 2)
        for (l, layer) in layers.enumerated() {
            let heads = layer["heads"]?.array ?? []
            XCTAssertEqual(heads.count, H)
            for (h, head) in heads.enumerated() {
                var sink = 0.0
                for q in 0..<T { sink += Double(attention.buffer[((l * H + h) * T + q) * T]) }
                XCTAssertEqual(try XCTUnwrap(head["sinkMass"]?.doubleValue), sink / Double(T), accuracy: 1e-5, "layer \(l) head \(h)")
                XCTAssertEqual(head["blocks"]?.array.count, 4)
                let es = try XCTUnwrap(head["entrySparsity"]?.doubleValue)
                let seed = try XCTUnwrap(head["entrySparsitySeed"]?.doubleValue)
                XCTAssertGreaterThanOrEqual(seed, es, "future zeros only add to the notebook's entry sparsity")
            }
        }
        XCTAssertNotNil(r["summary"]?["entropy"]?.doubleValue)
    }

    func testSweepPointsCacheAndForce() throws {
        let params: JSONValue = ["text": "The quick brown fox jumps over the lazy dog", "thresholds": [0.2, 0.05], "blockSizes": [2, 4, 8]]
        let first = try client.request("pruneSweep", params: params)
        let points = try XCTUnwrap(first["points"]?.array)
        XCTAssertEqual(points.count, 6)
        XCTAssertEqual(points.map { $0["blockSize"]?.intValue ?? 0 }, [2, 2, 4, 4, 8, 8], "block-size major")
        for p in points {
            let f = try XCTUnwrap(p["prunedBlockFraction"]?.doubleValue)
            let seed = try XCTUnwrap(p["seedPrunedFraction"]?.doubleValue)
            let kl = try XCTUnwrap(p["attentionKL"]?.doubleValue)
            let mass = try XCTUnwrap(p["prunedMass"]?.doubleValue)
            XCTAssert((0...1).contains(f) && seed >= 0 && kl >= 0 && (0...1).contains(mass))
            XCTAssertEqual(p["layers"]?.array.count, 2)
        }
        // A higher threshold prunes at least as much (same block size).
        XCTAssertGreaterThanOrEqual(points[0]["prunedBlockFraction"]!.doubleValue!, points[1]["prunedBlockFraction"]!.doubleValue!)

        let again = try client.request("pruneSweep", params: params)
        XCTAssertEqual(again["cached"], true)
        XCTAssertEqual(again["runId"], first["runId"])
        XCTAssertEqual(again["points"], first["points"])
        // Defaults spelled out hit the same run.
        var spelled = params.objectValue!
        spelled["selection"] = "threshold"; spelled["keepSink"] = false; spelled["seedEpsilon"] = 1e-12
        XCTAssertEqual(try client.request("pruneSweep", params: .object(spelled))["runId"], first["runId"])
        spelled["force"] = true
        let forced = try client.request("pruneSweep", params: .object(spelled))
        XCTAssertEqual(forced["cached"], false)
        XCTAssertNotEqual(forced["runId"], first["runId"])
    }

    func testEndToEndSweepAndRecommendation() throws {
        let c = try referenceCase("english")
        let r = try client.request("pruneSweep", params: [
            "text": .string(c.text), "selection": "topK", "thresholds": [1000, 1], "blockSizes": [4], "endToEnd": true,
            "maxOutputKL": 10,
        ])
        let points = try XCTUnwrap(r["points"]?.array)
        let loose = try XCTUnwrap(points[0]["endToEnd"])
        // k = 1000 keeps every block: the pruned pass is the dense pass bit for bit.
        XCTAssertEqual(points[0]["prunedBlockFraction"]?.doubleValue, 0)
        XCTAssertEqual(try XCTUnwrap(loose["outputKL"]?.doubleValue), 0, accuracy: 1e-12)
        XCTAssertEqual(loose["top1Agreement"]?.doubleValue, 1)
        XCTAssertEqual(loose["nllFull"], loose["nllPruned"])
        let tight = try XCTUnwrap(points[1]["endToEnd"])
        XCTAssertGreaterThan(try XCTUnwrap(tight["outputKL"]?.doubleValue), 0)
        XCTAssertEqual(r["recommendation"]?.array.count, 1)
    }

    func testPerPositionKLValuesAndSegments() throws {
        let r = try client.request("perPositionKL", params: [
            "text": "The quick brown fox jumps over the lazy dog. The quick brown fox jumps again.",
            "threshold": 0.2, "blockSize": 2, "segmentSize": 5, "metric": "prunedMass",
        ])
        let n = try XCTUnwrap(r["numTokens"]?.intValue)
        let layers = try XCTUnwrap(r["layers"]?.array)
        XCTAssertEqual(layers.count, 2)
        for layer in layers {
            let values = layer["values"]?.array.compactMap(\.doubleValue) ?? []
            XCTAssertEqual(values.count, n)
            XCTAssertEqual(values.first, 0, "position 0 sees one block: nothing can be pruned")
            let segments = layer["segments"]?.array ?? []
            XCTAssertEqual(segments.count, (n + 4) / 5)
            let firstMean = values.prefix(5).reduce(0, +) / Double(min(5, n))
            XCTAssertEqual(try XCTUnwrap(segments.first?["mean"]?.doubleValue), firstMean, accuracy: 1e-12)
        }
        XCTAssertEqual(r["metric"], "prunedMass")
    }

    func testInvalidParamsNameFieldAndRange() throws {
        let cases: [(String, JSONValue, String)] = [
            ("pruneSweep", ["text": "hi", "thresholds": [0.1, 1.5]], "thresholds[1]"),
            ("pruneSweep", ["text": "hi", "blockSizes": [0]], "blockSizes[0]"),
            ("pruneSweep", ["text": "hi", "thresholds": []], "thresholds"),
            ("pruneSweep", ["text": "hi", "tokens": [1]], "tokens"),
            ("pruneSweep", ["text": "hi", "thresold": [0.1]], "thresold"),
            ("pruneSweep", ["tokens": [1, 512]], "tokens[1]"),
            ("pruneSweep", ["text": ""], "text"),
            ("pruneSweep", ["text": "hi", "maxOutputKL": 0.1], "maxOutputKL"),
            ("forward", ["tokens": .array((0..<129).map { _ in 1 })], "tokens"),
            ("forward", ["text": "hi", "topK": 101], "topK"),
            ("perPositionKL", ["text": "hi", "metric": "klpq"], "metric"),
            ("profileAttention", ["text": "hi", "exportPath": "relative.npy"], "exportPath"),
        ]
        for (method, params, field) in cases {
            let e = DaemonSupport.error(client, method, params)
            XCTAssertEqual(e?.code, .invalidParams, "\(method) \(params)")
            XCTAssertEqual(e?.data?["field"], .string(field), "\(method) \(params)")
            XCTAssertNotNil(e?.data?["accepted"]?.stringValue)
        }
        let tooLong = DaemonSupport.error(client, "forward", ["tokens": .array((0..<129).map { _ in 1 })])
        XCTAssertTrue(tooLong?.message.contains("129") == true && tooLong?.message.contains("128") == true, tooLong?.message ?? "")
        // The daemon still answers.
        XCTAssertEqual(try client.request("model/info")["nLayer"], 2)
    }

    func testExportWritesNumpyFileAndRefusesExisting() throws {
        let path = folder.appendingPathComponent("attn.npy").path
        let r = try client.request("profileAttention", params: ["tokens": [1, 2, 3], "exportPath": .string(path), "includeAttention": true])
        XCTAssertEqual(r["exported"]?["shape"], [2, 4, 3, 3])
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(data.prefix(6)), [0x93] + Array("NUMPY".utf8))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        XCTAssertEqual(data.count, 10 + headerLength + 2 * 4 * 3 * 3 * 4)
        XCTAssertEqual(r["exported"]?["bytes"]?.intValue, data.count)
        // Row 0 of layer 0 head 0 is [1, 0, 0] (one visible key), as the inline attention says.
        let inline = try XCTUnwrap(r["attention"]?.array.first?.array.first?.array.first?.array.compactMap(\.doubleValue))
        XCTAssertEqual(inline, [1, 0, 0])
        let again = DaemonSupport.error(client, "profileAttention", ["tokens": [1, 2, 3], "exportPath": .string(path)])
        XCTAssertEqual(again?.data?["field"], "exportPath")
        _ = try client.request("profileAttention", params: ["tokens": [1, 2, 3], "exportPath": .string(path), "overwrite": true])
    }

    func testRunsListGetDeletePrune() throws {
        let a = try client.request("forward", params: ["text": "one"])
        let b = try client.request("pruneSweep", params: ["text": "two words", "blockSizes": [2]])
        let list = try client.request("runs/list", params: ["limit": 1])
        XCTAssertEqual(list["runs"]?.array.first?["id"], b["runId"], "newest first")
        XCTAssertEqual(list["runs"]?.array.first?["modelName"], "tiny-peaked")
        let next = try XCTUnwrap(list["next"])
        let page2 = try client.request("runs/list", params: ["limit": 1, "before": next])
        XCTAssertEqual(page2["runs"]?.array.first?["id"], a["runId"])
        let onlyForward = try client.request("runs/list", params: ["method": "forward"])
        XCTAssertEqual(onlyForward["runs"]?.array.count, 1)

        let got = try client.request("runs/get", params: ["id": b["runId"]!])
        XCTAssertEqual(got["status"], "completed")
        XCTAssertEqual(got["params"]?["text"], "two words")
        XCTAssertEqual(got["params"]?["blockSizes"], [2])
        XCTAssertEqual(got["result"]?["points"], b["points"])
        XCTAssertEqual(got["clientName"], "daemon-tests")
        XCTAssertEqual(got["summary"]?["points"], 5)

        XCTAssertEqual(try client.request("runs/delete", params: ["id": a["runId"]!])["deleted"], true)
        XCTAssertEqual(DaemonSupport.error(client, "runs/get", ["id": a["runId"]!])?.code, .runNotFound)
        XCTAssertEqual(try client.request("runs/prune", params: ["keep": 0])["deleted"], 1)
        XCTAssertEqual(try client.request("runs/list")["runs"], [])
        XCTAssertEqual(DaemonSupport.error(client, "runs/get", ["id": "nope"])?.code, .invalidParams)
    }

    func testModelLoadSwapsModel() throws {
        let info = try client.request("model/load", params: ["path": .string(DaemonSupport.model("tiny-legacy"))])
        XCTAssertEqual(info["nLayer"], 3)
        XCTAssertEqual(try client.request("model/info")["name"], "tiny-legacy")
        let bad = DaemonSupport.error(client, "model/load", ["path": "/nonexistent/model"])
        XCTAssertEqual(bad?.code, .modelLoadFailed)
        XCTAssertEqual(try client.request("model/info")["name"], "tiny-legacy", "a failed load keeps the loaded model")
        XCTAssertEqual(DaemonSupport.error(client, "model/load", ["path": "relative/folder"])?.code, .invalidParams)
        XCTAssertEqual(DaemonSupport.error(client, "model/load", ["name": "no-such-model-here"])?.code, .modelLoadFailed)
    }

    func testCancellingARunningSweepAnswersCancelledAndRecordsIt() throws {
        let tokens: JSONValue = .array((0..<128).map { .int(Int64($0 * 3 % 512)) })
        let done = DispatchSemaphore(value: 0)
        var outcome: Result<JSONValue, RPCError>?
        let id = client.send("pruneSweep", params: ["tokens": tokens, "endToEnd": true, "force": true,
                                                    "thresholds": .array((1...64).map { .double(Double($0) / 100) }),
                                                    "blockSizes": .array((1...8).map { .int(Int64($0)) })]) { r in
            outcome = r; done.signal()
        }
        Thread.sleep(forTimeInterval: 0.5)
        let sent = Date()
        client.cancel(id)
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        // The protocol's 200 ms, with room for a debug daemon on a loaded 2-core machine (0.24 s seen once under 5 concurrent builds).
        XCTAssertLessThan(Date().timeIntervalSince(sent), 0.5, "answered within the protocol's 200 ms (test margin 500 ms)")
        guard case .failure(let e)? = outcome else { return XCTFail("expected -32800, got \(String(describing: outcome))") }
        XCTAssertEqual(e.code, .requestCancelled)
        let cancelled = try client.request("runs/list", params: ["status": "cancelled"])
        XCTAssertEqual(cancelled["runs"]?.array.count, 1)
    }
}

extension DaemonMethodsTests {
    func testRunsReportRendersHTMLAndSVGAndRefusesUnknownRuns() throws {
        let sweep = try client.request("pruneSweep", params: ["text": "The quick brown fox", "blockSizes": [2, 4]])
        let id = try XCTUnwrap(sweep["runId"])
        let html = try XCTUnwrap(client.request("runs/report", params: ["ids": [id]])["html"]?.stringValue)
        XCTAssertTrue(html.contains("<svg"))
        XCTAssertFalse(html.contains("<script"))
        XCTAssertTrue(html.contains(id.stringValue!))
        let figures = try XCTUnwrap(client.request("runs/report", params: ["ids": [id], "format": "svg"])["figures"]?.array)
        XCTAssertFalse(figures.isEmpty)
        XCTAssertTrue(figures.allSatisfy { $0["svg"]?.stringValue?.hasPrefix("<svg") == true || $0["svg"]?.stringValue?.contains("<svg") == true })
        let missing = DaemonSupport.error(client, "runs/report", ["ids": ["00000000-0000-4000-8000-000000000000"]])
        XCTAssertEqual(missing?.code, .runNotFound)
        XCTAssertEqual(DaemonSupport.error(client, "runs/report", ["ids": []])?.data?["field"], "ids")
    }
}
