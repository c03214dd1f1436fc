import XCTest
@testable import GPT2

/// Reading valid files: in-place F32 views, copies of unaligned F32, exact F16/BF16 widening,
/// dtypes that are listed but not loadable.
final class SafetensorsReadingTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder = nil }

    private func open(_ bytes: [UInt8]) throws -> SafetensorsFile {
        try SafetensorsFile(url: folder.write(bytes, to: "t.safetensors"))
    }

    func testAlignedF32IsViewedInsideTheMapping() throws {
        let values: [Float] = [1, -2, 3.5, 0.25, 1e-3, -7]
        let file = try open(SafetensorsTestWriter.file([.f32("w", [2, 3], values), .f32("b", [1], [9])]))
        let tensor = try file.floatTensor("w")
        XCTAssertEqual(tensor.shape, [2, 3])
        XCTAssertEqual(tensor.values, values)
        XCTAssertTrue(tensor.owner === file.mapping, "aligned F32 must point into the mapping")
        let mapped = file.mapping.bytes
        let address = UnsafeRawPointer(tensor.pointer)
        XCTAssertTrue(address >= mapped.baseAddress! && address + 24 <= mapped.baseAddress! + mapped.count)
        XCTAssertEqual(try file.floatTensor("b").values, [9])
    }

    func testUnalignedF32IsCopied() throws {
        // Data section starts at an offset ≡ 2 (mod 8): the floats are not 4-byte aligned.
        let values: [Float] = [1.5, -0.75, 1e30, -1e-30, .infinity]
        let file = try open(SafetensorsTestWriter.file([.f32("w", [5], values)], dataStartModulo8: 2))
        XCTAssertEqual(file.dataRange.lowerBound % 4, 2)
        let tensor = try file.floatTensor("w")
        XCTAssertFalse(tensor.owner === file.mapping, "unaligned F32 must be copied")
        XCTAssertEqual(tensor.values, values)
    }

    func testF16IsWidenedExactly() throws {
        // Hand-encoded binary16: sign | 5-bit exponent (bias 15) | 10-bit mantissa.
        let bits: [UInt16] = [0x3C00, 0xC100, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000, 0x7C00, 0xFC00]
        let expected: [Float] = [
            1.0,                           // 0 01111 0000000000
            -2.5,                          // 1 10000 0100000000 = -1.25 × 2^1
            65504,                         // 0 11110 1111111111 = (2 - 2^-10) × 2^15, the largest F16
            0x1p-24,                       // smallest subnormal: 1 × 2^-24
            1023 * 0x1p-24,                // largest subnormal
            0x1p-14,                       // smallest normal
            -0.0,
            .infinity,
            -.infinity,
        ]
        let file = try open(SafetensorsTestWriter.file([
            TestTensor(name: "h", dtype: "F16", shape: [bits.count], data: SafetensorsTestWriter.bytes(bits)),
            TestTensor(name: "nan", dtype: "F16", shape: [1], data: SafetensorsTestWriter.bytes([UInt16(0x7E00)])),
        ]))
        let widened = try file.floatTensor("h").values
        XCTAssertEqual(widened, expected)
        XCTAssertEqual(widened[6].sign, .minus, "-0 keeps its sign")
        let nan = try file.floatTensor("nan").values[0]
        XCTAssertTrue(nan.isNaN)
        XCTAssertEqual(nan.bitPattern, 0x7FC0_0000, "quiet NaN 0x7E00 widens to float quiet NaN")
    }

    func testBF16IsWidenedExactly() throws {
        // bfloat16 is the top half of a float32.
        let bits: [UInt16] = [0x3F80, 0xC020, 0x477F, 0x0001, 0x7F80, 0xFF80, 0x7FC0]
        let file = try open(SafetensorsTestWriter.file([
            TestTensor(name: "b", dtype: "BF16", shape: [bits.count], data: SafetensorsTestWriter.bytes(bits)),
        ], dataStartModulo8: 1))  // odd offset: widening must not need alignment
        let widened = try file.floatTensor("b").values
        XCTAssertEqual(widened[0], 1.0)
        XCTAssertEqual(widened[1], -2.5)           // 1 10000000 0100000
        XCTAssertEqual(widened[2], 65280)          // 0 10001110 1111111 = 1.9921875 × 2^15
        XCTAssertEqual(widened[3], 0x1p-133)       // subnormal: 2^16 × 2^-149
        XCTAssertEqual(widened[4], .infinity)
        XCTAssertEqual(widened[5], -.infinity)
        XCTAssertTrue(widened[6].isNaN)
    }

    func testNonFloatDTypesAreListedButNotLoadedAsFloat() throws {
        let file = try open(SafetensorsTestWriter.file([
            TestTensor(name: "ids", dtype: "I64", shape: [2], data: SafetensorsTestWriter.littleEndian(3) + SafetensorsTestWriter.littleEndian(4)),
            TestTensor(name: "mask", dtype: "U8", shape: [3], data: [1, 0, 1]),
        ], metadata: ["format": "pt"]))
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.tensors.map(\.name), ["ids", "mask"])
        XCTAssertEqual(file.info("ids")?.dtype, .i64)
        XCTAssertEqual(Array(try file.rawBytes("mask")), [1, 0, 1])
        XCTAssertThrowsError(try file.floatTensor("ids")) { error in
            XCTAssertEqual((error as? SafetensorsError)?.problem, .notAFloatDType(tensor: "ids", dtype: "I64"))
            XCTAssertTrue("\(error)".contains("F32, F16, BF16"))
        }
        XCTAssertThrowsError(try file.floatTensor("absent")) { error in
            XCTAssertEqual((error as? SafetensorsError)?.problem, .tensorNotFound(tensor: "absent"))
        }
    }

    func testGapsBetweenTensorsAndEmptyTensorsAreAllowed() throws {
        let header = """
            {"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}
            """
        let data = SafetensorsTestWriter.bytes([Float(2), 99, 99, 5])
        let file = try open(SafetensorsTestWriter.file(header: header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8), data: data))
        XCTAssertEqual(file.tensors.map(\.name), ["a", "e", "b"], "sorted by offset")
        XCTAssertEqual(try file.floatTensor("a").values, [2])
        XCTAssertEqual(try file.floatTensor("b").values, [5])
        XCTAssertEqual(try file.floatTensor("e").count, 0)
    }
}
