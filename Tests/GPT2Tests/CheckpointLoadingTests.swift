import XCTest
@testable import GPT2

/// A tiny GPT-2 checkpoint written by the test, in both key layouts, loaded element by element.
final class CheckpointLoadingTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder = nil }

    /// Every tensor of `weights` by its HF key, for comparing against `TinyGPT2`.
    private func tensorsByKey(_ weights: GPT2Weights) -> [String: FloatTensor] {
        var map = ["wte.weight": weights.wte, "wpe.weight": weights.wpe,
                   "ln_f.weight": weights.lnFWeight, "ln_f.bias": weights.lnFBias]
        for (l, layer) in weights.layers.enumerated() {
            let fields: [(String, FloatTensor)] = [
                ("ln_1.weight", layer.ln1Weight), ("ln_1.bias", layer.ln1Bias),
                ("attn.c_attn.weight", layer.qkvWeight), ("attn.c_attn.bias", layer.qkvBias),
                ("attn.c_proj.weight", layer.attnProjWeight), ("attn.c_proj.bias", layer.attnProjBias),
                ("ln_2.weight", layer.ln2Weight), ("ln_2.bias", layer.ln2Bias),
                ("mlp.c_fc.weight", layer.fcWeight), ("mlp.c_fc.bias", layer.fcBias),
                ("mlp.c_proj.weight", layer.mlpProjWeight), ("mlp.c_proj.bias", layer.mlpProjBias),
            ]
            for (name, tensor) in fields { map["h.\(l).\(name)"] = tensor }
        }
        if !weights.lmHeadIsTied { map["lm_head.weight"] = weights.lmHead }
        return map
    }

    /// Loads `model` and checks every element of every tensor against `TinyGPT2.value`.
    private func assertLoadsExactly(_ model: TinyGPT2, file: StaticString = #filePath, line: UInt = #line) throws -> GPT2Checkpoint {
        let checkpoint = try GPT2Checkpoint.load(directory: model.write(into: folder))
        let loaded = tensorsByKey(checkpoint.weights)
        XCTAssertEqual(Set(loaded.keys), Set(model.parameterNames.map(\.key)), file: file, line: line)
        for (k, entry) in model.parameterNames.enumerated() {
            guard let tensor = loaded[entry.key] else { continue }
            XCTAssertEqual(tensor.shape, entry.shape, entry.key, file: file, line: line)
            let expected = (0..<entry.shape.reduce(1, *)).map { TinyGPT2.value(tensor: k, element: $0) }
            XCTAssertEqual(tensor.values, expected, entry.key, file: file, line: line)
        }
        return checkpoint
    }

    func testCurrentLayoutWithoutPrefixLoadsAndTiesTheHead() throws {
        let checkpoint = try assertLoadsExactly(TinyGPT2(nInner: nil))
        let config = checkpoint.config
        XCTAssertEqual([config.nLayer, config.nHead, config.nEmbd, config.nPositions, config.vocabSize, config.nInner], [2, 2, 4, 5, 7, 16])
        XCTAssertEqual(checkpoint.weights.layers[0].fcWeight.shape, [4, 16], "n_inner null → 4·n_embd")
        XCTAssertTrue(checkpoint.weights.lmHeadIsTied)
        XCTAssertEqual(checkpoint.weights.lmHead.pointer, checkpoint.weights.wte.pointer, "tied head is wte itself")
        // 7·4 + 5·4 + 2·(4+4+48+12+16+4+4+4+64+16+64+4) + 4+4 = 48 + 2·244 + 8 = 544
        XCTAssertEqual(checkpoint.weights.parameterCount, 544)
    }

    func testOlderLayoutWithPrefixBuffersAndLMHeadLoads() throws {
        let model = TinyGPT2(nInner: 8, prefixed: true, withBuffers: true, withLMHead: true)
        XCTAssertTrue(model.tensors().contains { $0.name == "transformer.h.1.attn.masked_bias" }, "fixture has buffers")
        let checkpoint = try assertLoadsExactly(model)
        XCTAssertFalse(checkpoint.weights.lmHeadIsTied)
        XCTAssertNotEqual(checkpoint.weights.lmHead.values, checkpoint.weights.wte.values)
        XCTAssertEqual(checkpoint.weights.layers[1].mlpProjWeight.shape, [8, 4], "Conv1D weight stays [in, out]")
    }

    func testPrefixedLayoutWithoutLMHeadTies() throws {
        let checkpoint = try assertLoadsExactly(TinyGPT2(prefixed: true))
        XCTAssertTrue(checkpoint.weights.lmHeadIsTied)
    }

    func testAlignedF32WeightsPointIntoTheMappedFile() throws {
        let checkpoint = try GPT2Checkpoint.load(directory: TinyGPT2().write(into: folder))
        XCTAssertTrue(checkpoint.weights.wte.owner is MappedFile)
        XCTAssertTrue(checkpoint.weights.layers[1].qkvWeight.owner === checkpoint.weights.wte.owner)
    }

    private func loadError(_ model: TinyGPT2, file: StaticString = #filePath, line: UInt = #line) -> Error? {
        var caught: Error?
        XCTAssertThrowsError(try GPT2Checkpoint.load(directory: model.write(into: folder)), file: file, line: line) { caught = $0 }
        return caught
    }

    func testEachMissingTensorIsNamed() throws {
        for key in TinyGPT2().parameterNames.map(\.key) {
            let error = loadError(TinyGPT2(prefixed: key.hasPrefix("h.1"), omitted: [key]))
            guard case .missingTensor(let named, _, _)? = error as? GPT2CheckpointError else {
                XCTFail("\(key): expected missingTensor, got \(String(describing: error))"); continue
            }
            XCTAssertEqual(named, key)
            XCTAssertTrue("\(error!)".contains("'\(key)'"))
        }
    }

    func testEachWrongShapeNamesKeyExpectedAndActual() throws {
        for entry in TinyGPT2().parameterNames {
            let wrong = entry.shape.count == 1 ? [entry.shape[0] + 1] : [entry.shape[0], entry.shape[1] + 1]
            let error = loadError(TinyGPT2(reshaped: [entry.key: wrong]))
            XCTAssertEqual(error as? GPT2CheckpointError,
                           .wrongShape(key: entry.key, expected: entry.shape, actual: wrong, file: folder.url.path + "/model/model.safetensors"),
                           entry.key)
        }
    }

    func testTransposedConv1DWeightGetsAHint() throws {
        let error = loadError(TinyGPT2(reshaped: ["h.0.mlp.c_fc.weight": [8, 4]]))
        XCTAssertTrue("\(error!)".contains("[in, out]"), "\(error!)")
    }

    func testUnexpectedTensorsAreRefusedButBuffersAreNot() throws {
        let error = loadError(TinyGPT2(withBuffers: true, extra: [.f32("h.2.ln_1.weight", [4], [0, 0, 0, 0]), .f32("score.weight", [1], [0])]))
        XCTAssertEqual((error as? GPT2CheckpointError).map { "\($0)" }?.contains("'h.2.ln_1.weight', 'score.weight'"), true, "\(String(describing: error))")
        guard case .unexpectedTensors(let names, _)? = error as? GPT2CheckpointError else { return XCTFail() }
        XCTAssertEqual(names, ["h.2.ln_1.weight", "score.weight"])
    }

    func testSameTensorWithAndWithoutPrefixIsRefused() throws {
        let error = loadError(TinyGPT2(extra: [.f32("transformer.ln_f.bias", [4], [0, 0, 0, 0])]))
        guard case .duplicateTensor(key: "ln_f.bias", let names, _)? = error as? GPT2CheckpointError else {
            return XCTFail("\(String(describing: error))")
        }
        XCTAssertEqual(names, ["ln_f.bias", "transformer.ln_f.bias"])
    }

    func testHalfPrecisionCheckpointIsWidened() throws {
        let model = TinyGPT2()
        // Rewrite every F32 tensor as BF16 by dropping the low 16 bits (values k + i/64 are exact in BF16 for k < 32).
        let tensors = model.tensors().map { t -> TestTensor in
            var copy = t
            copy.dtype = "BF16"
            copy.data = stride(from: 0, to: t.data.count, by: 4).flatMap { [t.data[$0 + 2], t.data[$0 + 3]] }
            return copy
        }
        try folder.write(model.configJSON(), to: "bf16/config.json")
        try folder.write(SafetensorsTestWriter.file(tensors), to: "bf16/model.safetensors")
        let checkpoint = try GPT2Checkpoint.load(directory: folder.url.appendingPathComponent("bf16"))
        XCTAssertEqual(checkpoint.weights.wpe.values, (0..<20).map { TinyGPT2.value(tensor: 1, element: $0) })
        XCTAssertFalse(checkpoint.weights.wpe.owner is MappedFile)
    }

    func testMissingFilesNameTheFileAndFolder() throws {
        let dir = try TinyGPT2().write(into: folder)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try GPT2Checkpoint.load(directory: dir)) { error in
            XCTAssertEqual(error as? GPT2CheckpointError, .missingFile(name: "model.safetensors", directory: dir.path))
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try GPT2Checkpoint.load(directory: dir)) { error in
            XCTAssertEqual(error as? GPT2CheckpointError, .missingFile(name: "config.json", directory: dir.path))
            XCTAssertTrue("\(error)".contains(dir.path))
        }
        let absent = folder.url.appendingPathComponent("nowhere")
        XCTAssertThrowsError(try GPT2Checkpoint.load(directory: absent)) { error in
            XCTAssertEqual(error as? GPT2CheckpointError, .notADirectory(path: absent.path))
        }
    }

    func testCorruptWeightsFileSurfacesTheSafetensorsError() throws {
        let dir = try TinyGPT2().write(into: folder)
        try folder.write([1, 2, 3], to: "model/model.safetensors")
        XCTAssertThrowsError(try GPT2Checkpoint.load(directory: dir)) { error in
            XCTAssertEqual((error as? SafetensorsError)?.problem, .truncatedHeaderLength(fileBytes: 3))
        }
    }

    func testInvalidConfigNamesTheConfigFile() throws {
        let error = loadError(TinyGPT2(configFields: ["n_head": "3"]))
        XCTAssertEqual(error as? GPT2CheckpointError,
                       .invalidConfig(path: folder.url.path + "/model/config.json", reason: .embeddingNotDivisibleByHeads(nEmbd: 4, nHead: 3)))
    }
}
