import XCTest
@testable import GPT2

/// Checkpoints holding NaN or infinite weights are refused at load, naming the tensor and the
/// element; huge but finite weights load (the pass-level check is the daemon's).
final class NonFiniteWeightTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder = nil }

    /// Writes TinyGPT2 with element `element` of tensor `key` replaced by `bytes`.
    private func write(_ key: String, element: Int, bytes: [UInt8], dtype: String? = nil,
                       dataStartModulo8: Int = 0, subfolder: String = "model") throws -> URL {
        let model = TinyGPT2()
        var tensors = model.tensors()
        let k = try XCTUnwrap(tensors.firstIndex { $0.name == key })
        if let dtype, dtype == "F16" {
            // Store this tensor as F16: its values are k + i/64, exact in binary16.
            let floats = stride(from: 0, to: tensors[k].data.count, by: 4).map { offset in
                Float(bitPattern: tensors[k].data[offset..<(offset + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) })
            }
            tensors[k] = TestTensor(name: key, dtype: "F16", shape: tensors[k].shape,
                                    data: SafetensorsTestWriter.bytes(floats.map { Float16($0).bitPattern }))
        }
        let width = bytes.count
        tensors[k].data.replaceSubrange((element * width)..<((element + 1) * width), with: bytes)
        try folder.write(model.configJSON(), to: "\(subfolder)/config.json")
        try folder.write(SafetensorsTestWriter.file(tensors, dataStartModulo8: dataStartModulo8), to: "\(subfolder)/model.safetensors")
        return folder.url.appendingPathComponent(subfolder)
    }

    private func f32(_ value: Float) -> [UInt8] { SafetensorsTestWriter.bytes([value]) }

    private func loadError(_ dir: URL) -> GPT2CheckpointError? {
        do {
            _ = try GPT2Checkpoint.load(directory: dir, digestCache: WeightsDigestCache())
            return nil
        } catch {
            return error as? GPT2CheckpointError
        }
    }

    func testNaNIsRefusedNamingTensorAndElement() throws {
        // h.1.mlp.c_fc.weight is (C, I) = (4, 8): element 21 is [2, 5].
        let dir = try write("h.1.mlp.c_fc.weight", element: 21, bytes: f32(.nan))
        let error = try XCTUnwrap(loadError(dir))
        XCTAssertEqual(error, .nonFiniteWeight(key: "h.1.mlp.c_fc.weight", index: [2, 5], value: "NaN",
                                               file: dir.appendingPathComponent("model.safetensors").standardizedFileURL.path))
        XCTAssertTrue(error.description.contains("tensor 'h.1.mlp.c_fc.weight' holds NaN at [2, 5]"), error.description)
    }

    func testInfinitiesAreRefused() throws {
        let plus = try XCTUnwrap(loadError(write("wte.weight", element: 0, bytes: f32(.infinity), subfolder: "plus")))
        guard case .nonFiniteWeight(let key, let index, let value, _) = plus else { return XCTFail("\(plus)") }
        XCTAssertEqual([key, value], ["wte.weight", "+Inf"])
        XCTAssertEqual(index, [0, 0])
        // The very last element of the file (ln_f.bias [3]), and a negative infinity.
        let minus = try XCTUnwrap(loadError(write("ln_f.bias", element: 3, bytes: f32(-.infinity), subfolder: "minus")))
        guard case .nonFiniteWeight(let key2, let index2, let value2, _) = minus else { return XCTFail("\(minus)") }
        XCTAssertEqual([key2, value2], ["ln_f.bias", "-Inf"])
        XCTAssertEqual(index2, [3])
    }

    func testHalfPrecisionInfinityIsRefused() throws {
        // F16 +Inf is 0x7C00; wpe.weight (P, C) = (5, 4), element 9 = [2, 1].
        let dir = try write("wpe.weight", element: 9, bytes: [0x00, 0x7C], dtype: "F16")
        XCTAssertEqual(loadError(dir).map { "\($0)" }.map { $0.contains("tensor 'wpe.weight' holds +Inf at [2, 1]") }, true)
    }

    /// Huge but finite weights (1e38) are not the loader's business: they load.
    func testHugeFiniteWeightsLoad() throws {
        let dir = try write("h.0.attn.c_attn.weight", element: 3, bytes: f32(1e38))
        XCTAssertNil(loadError(dir))
    }

    /// Every position of a tensor, with chunks of odd sizes that cut elements in two and an
    /// unaligned data section: the NaN is found wherever it is.
    func testScanFindsTheElementAcrossChunkBoundaries() throws {
        let key = "h.0.attn.c_attn.weight"   // (4, 12), 48 elements
        for dataStart in [0, 3] {
            for element in [0, 1, 17, 46, 47] {
                let dir = try write(key, element: element, bytes: f32(.nan), dataStartModulo8: dataStart,
                                    subfolder: "m\(dataStart)-\(element)")
                let file = try SafetensorsFile(url: dir.appendingPathComponent("model.safetensors"))
                for chunk in [5, 7, 64, 1 << 20] {
                    XCTAssertThrowsError(try CheckpointScan.digest(of: file, cache: WeightsDigestCache(), chunkBytes: chunk)) { error in
                        XCTAssertEqual((error as? GPT2CheckpointError).map { e -> [Int] in
                            if case .nonFiniteWeight(_, let index, _, _) = e { return index } else { return [] }
                        }, [element / 12, element % 12], "chunk \(chunk), element \(element), start \(dataStart)")
                    }
                }
            }
        }
    }

    /// The chunked digest is the plain SHA-256 of the file whatever the chunk size.
    func testChunkedDigestEqualsWholeFileDigest() throws {
        let dir = try TinyGPT2().write(into: folder)
        let url = dir.appendingPathComponent("model.safetensors")
        let file = try SafetensorsFile(url: url)
        let whole = ModelFingerprint.hex(try CheckpointScan.digest(of: file, cache: WeightsDigestCache(), chunkBytes: 1 << 20))
        for chunk in [1, 5, 64, 4096] {
            XCTAssertEqual(ModelFingerprint.hex(try CheckpointScan.digest(of: file, cache: WeightsDigestCache(), chunkBytes: chunk)), whole)
        }
    }

    /// A refused file is not remembered: once repaired it loads.
    func testRefusedFileIsNotRememberedAndLoadsOnceRepaired() throws {
        let cache = WeightsDigestCache(minimumAge: 0)
        let dir = try write("ln_f.weight", element: 1, bytes: f32(.nan))
        XCTAssertThrowsError(try GPT2Checkpoint.load(directory: dir, digestCache: cache))
        XCTAssertThrowsError(try GPT2Checkpoint.load(directory: dir, digestCache: cache))
        XCTAssertEqual(cache.filesHashed, 2)
        try TinyGPT2().write(into: folder)
        XCTAssertNoThrow(try GPT2Checkpoint.load(directory: dir, digestCache: cache))
    }
}
