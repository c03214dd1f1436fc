import Foundation
import GPT2
import JSONRPC
import XCTest

/// Checkpoints with non-finite or overflowing weights through the real daemon: NaN/Inf weights
/// are refused at load (-32003 naming the tensor); finite weights that overflow float32 on a
/// pass answer -32009 naming the quantity and layer — never -32603, never a plausible number.
final class NonFiniteDaemonTests: XCTestCase {
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

    /// A copy of tiny-peaked with every element of the named tensors set to `value`.
    private func patchedModel(_ name: String, _ tensors: [String], _ value: Float) throws -> String {
        let source = URL(fileURLWithPath: DaemonSupport.model("tiny-peaked"))
        let target = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for file in ["config.json", "vocab.json", "merges.txt", "model.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: target.appendingPathComponent(file))
        }
        let weightsURL = target.appendingPathComponent("model.safetensors")
        let layout = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors"))
        var bytes = try [UInt8](Data(contentsOf: weightsURL))
        let pattern = withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        for tensor in tensors {
            let info = try XCTUnwrap(layout.info("transformer." + tensor), tensor)
            let start = layout.dataRange.lowerBound + info.byteRange.lowerBound
            for offset in stride(from: start, to: start + info.byteRange.count, by: 4) {
                bytes.replaceSubrange(offset..<(offset + 4), with: pattern)
            }
        }
        try Data(bytes).write(to: weightsURL)
        return target.path
    }

    func testNaNWeightsAreRefusedAtLoadNamingTheTensor() throws {
        let path = try patchedModel("nan", ["h.1.mlp.c_fc.weight"], .nan)
        let error = try XCTUnwrap(DaemonSupport.error(client, "model/load", ["path": .string(path)]))
        XCTAssertEqual(error.code, .modelLoadFailed)
        XCTAssertTrue(error.message.contains("tensor 'h.1.mlp.c_fc.weight' holds NaN at [0, 0]"), error.message)
        let inf = try patchedModel("inf", ["wpe.weight"], .infinity)
        let error2 = try XCTUnwrap(DaemonSupport.error(client, "model/load", ["path": .string(inf)]))
        XCTAssertTrue(error2.message.contains("tensor 'wpe.weight' holds +Inf"), error2.message)
        // The previous model stays loaded and works.
        XCTAssertEqual(try client.request("model/info")["name"], "tiny-peaked")
    }

    /// q and k biases of 1e38 make every layer-0 score infinite: the attention is NaN.
    func testAttentionOverflowIsAnApplicationErrorNamingTheLayer() throws {
        let path = try patchedModel("huge-attn", ["h.0.attn.c_attn.bias"], 1e38)
        _ = try client.request("model/load", params: ["path": .string(path)])
        let text: JSONValue = "an input long enough to overflow"
        for (method, extra) in [("profileAttention", [:]), ("pruneSweep", [:]), ("pruneSweep", ["endToEnd": true]),
                                ("perPositionKL", [:]), ("forward", [:])] as [(String, [String: JSONValue])] {
            var params = extra
            params["text"] = text
            let error = try XCTUnwrap(DaemonSupport.error(client, method, .object(params)), method)
            XCTAssertEqual(error.code, .nonFiniteResult, "\(method): \(error)")
            XCTAssertEqual(error.data?["quantity"], "attention", method)
            XCTAssertEqual(error.data?["layer"], 0, method)
            XCTAssertEqual(error.data?["value"], "NaN", method)
            XCTAssertTrue(error.message.contains("layer 0's attention"), error.message)
        }
        let failed = try client.request("runs/list", params: ["status": "failed"])
        XCTAssertEqual(failed["runs"]?.array.count, 5, "each refused pass is stored as failed")
    }

    /// Without the dense-pass cache `forward` skips the attention and logits scans (its logits are
    /// checked in the reference's row pass): an overflow still names the attention layer where it
    /// began (one attention-only pass with the scan), and overflowing logits are still `logits`.
    func testForwardWithoutTheCacheNamesTheSameQuantities() throws {
        let attention = try patchedModel("huge-attn", ["h.0.attn.c_attn.bias"], 1e38)
        let logits = try patchedModel("huge-lnf", ["ln_f.weight", "ln_f.bias"], 1e38)
        let uncached = try DaemonSupport.spawn(["--model", attention, "--cache-budget-bytes", "0",
                                                "--db", folder.appendingPathComponent("uncached.sqlite").path])
        defer { DaemonSupport.stop(uncached) }
        let error = try XCTUnwrap(DaemonSupport.error(uncached, "forward", ["text": "an input long enough to overflow"]))
        XCTAssertEqual(error.code, .nonFiniteResult)
        XCTAssertEqual(error.data?["quantity"], "attention")
        XCTAssertEqual(error.data?["layer"], 0)
        XCTAssertEqual(error.data?["value"], "NaN")
        _ = try uncached.request("model/load", params: ["path": .string(logits)])
        let error2 = try XCTUnwrap(DaemonSupport.error(uncached, "forward", ["text": "finite attention, infinite logits"]))
        XCTAssertEqual(error2.code, .nonFiniteResult)
        XCTAssertEqual(error2.data?["quantity"], "logits")
        XCTAssertNil(error2.data?["layer"])
        XCTAssertTrue(error2.message.contains("in logits"), error2.message)
        let failed = try uncached.request("runs/list", params: ["status": "failed"])
        XCTAssertEqual(failed["runs"]?.array.count, 2, "each refused pass is stored as failed")
    }

    /// A final layer norm of 1e38 leaves the attention finite but overflows the logits: the
    /// attention-level methods answer, `forward` refuses.
    func testLogitsOverflowIsRefusedWhileAttentionMethodsAnswer() throws {
        let path = try patchedModel("huge-lnf", ["ln_f.weight", "ln_f.bias"], 1e38)
        _ = try client.request("model/load", params: ["path": .string(path)])
        let text: JSONValue = "finite attention, infinite logits"
        let error = try XCTUnwrap(DaemonSupport.error(client, "forward", ["text": text]))
        XCTAssertEqual(error.code, .nonFiniteResult)
        XCTAssertEqual(error.data?["quantity"], "logits")
        XCTAssertNil(error.data?["layer"])
        let e2e = try XCTUnwrap(DaemonSupport.error(client, "pruneSweep", ["text": text, "endToEnd": true]))
        XCTAssertEqual(e2e.code, .nonFiniteResult)
        XCTAssertEqual(e2e.data?["quantity"], "logits")
        let profile = try client.request("profileAttention", params: ["text": text])
        XCTAssertNotNil(profile["layers"])
    }
}
