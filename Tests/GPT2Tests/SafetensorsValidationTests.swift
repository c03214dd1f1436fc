import XCTest
@testable import GPT2

/// Crafted bad files: each validation rule of the safetensors reader, checked to fail with the
/// right typed problem (and never to crash or read out of bounds).
final class SafetensorsValidationTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder = nil }

    /// Opens `bytes` as a safetensors file and returns the problem it was refused for.
    private func problem(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> SafetensorsError.Problem? {
        let url = try folder.write(bytes, to: "bad.safetensors")
        do {
            _ = try SafetensorsFile(url: url)
            XCTFail("file was accepted", file: file, line: line)
            return nil
        } catch let error as SafetensorsError {
            XCTAssertEqual(error.file, url.path, file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix(url.path), file: file, line: line)
            return error.problem
        }
    }

    private func entry(_ name: String, dtype: String = "F32", shape: String, offsets: String) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
    }

    func testFileShorterThanLengthFieldIsTruncated() throws {
        XCTAssertEqual(try problem([]), .truncatedHeaderLength(fileBytes: 0))
        XCTAssertEqual(try problem([1, 0, 0]), .truncatedHeaderLength(fileBytes: 3))
    }

    func testHeaderLongerThanFileIsRefused() throws {
        let bytes = SafetensorsTestWriter.file(claimedHeaderBytes: 50, rest: Array("{}".utf8))
        XCTAssertEqual(try problem(bytes), .headerBeyondFile(claimedBytes: 50, availableBytes: 2))
    }

    func testHeaderClaimingMoreThan100MBIsRefused() throws {
        let bytes = SafetensorsTestWriter.file(claimedHeaderBytes: 100_000_001, rest: Array("{}".utf8))
        XCTAssertEqual(try problem(bytes), .headerTooLarge(claimedBytes: 100_000_001, limitBytes: 100_000_000))
        let huge = SafetensorsTestWriter.file(claimedHeaderBytes: .max, rest: [])
        XCTAssertEqual(try problem(huge), .headerTooLarge(claimedBytes: .max, limitBytes: 100_000_000))
    }

    func testNonJSONHeaderIsRefused() throws {
        guard case .headerNotJSON? = try problem(SafetensorsTestWriter.file(header: "{\"a\": ", data: [])) else {
            return XCTFail("expected headerNotJSON")
        }
        guard case .headerNotJSON? = try problem(SafetensorsTestWriter.file(claimedHeaderBytes: 2, rest: [0xFF, 0xFE])) else {
            return XCTFail("expected headerNotJSON for invalid UTF-8")
        }
    }

    func testJSONArrayHeaderIsRefused() throws {
        XCTAssertEqual(try problem(SafetensorsTestWriter.file(header: "[1, 2]", data: [])), .headerNotObject(found: "an array"))
    }

    func testMetadataMustMapStringsToStrings() throws {
        let bytes = SafetensorsTestWriter.file(header: "{\"__metadata__\":{\"format\":1}}", data: [])
        XCTAssertEqual(try problem(bytes), .invalidMetadata(detail: "'format' is an integer"))
    }

    func testEntryFieldsMustExistWithTheRightTypes() throws {
        XCTAssertEqual(try problem(SafetensorsTestWriter.file(header: "{\"w\":[]}", data: [])),
                       .entryNotObject(tensor: "w", found: "an array"))
        XCTAssertEqual(try problem(SafetensorsTestWriter.file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", data: [0, 0, 0, 0])),
                       .missingField(tensor: "w", field: "data_offsets"))
        let stringShape = "{" + entry("w", shape: "\"1\"", offsets: "[0,4]") + "}"
        guard case .fieldWrongType(tensor: "w", field: "shape", _, found: "a string")? =
                try problem(SafetensorsTestWriter.file(header: stringShape, data: [0, 0, 0, 0])) else {
            return XCTFail("expected shape type error")
        }
        let threeOffsets = "{" + entry("w", shape: "[1]", offsets: "[0,4,8]") + "}"
        guard case .fieldWrongType(tensor: "w", field: "data_offsets", _, _)? =
                try problem(SafetensorsTestWriter.file(header: threeOffsets, data: [0, 0, 0, 0])) else {
            return XCTFail("expected data_offsets type error")
        }
    }

    func testUnknownDTypeNamesTheTensorAndDType() throws {
        let header = "{" + entry("w", dtype: "F128", shape: "[1]", offsets: "[0,16]") + "}"
        let found = try problem(SafetensorsTestWriter.file(header: header, data: Array(repeating: 0, count: 16)))
        XCTAssertEqual(found, .unknownDType(tensor: "w", dtype: "F128"))
        XCTAssertTrue(found?.message.contains("'w'") == true && found?.message.contains("F128") == true)
    }

    func testShapeByteMismatchIsAHeaderThatLies() throws {
        // 2×3 F32 needs 24 bytes; the offsets span 20.
        let header = "{" + entry("w", shape: "[2,3]", offsets: "[0,20]") + "}"
        XCTAssertEqual(try problem(SafetensorsTestWriter.file(header: header, data: Array(repeating: 0, count: 24))),
                       .byteCountMismatch(tensor: "w", dtype: "F32", shape: [2, 3], expectedBytes: 24, actualBytes: 20))
    }

    func testOffsetsPastTheDataSectionAreRefused() throws {
        let header = "{" + entry("w", shape: "[4]", offsets: "[8,24]") + "}"
        XCTAssertEqual(try problem(SafetensorsTestWriter.file(header: header, data: Array(repeating: 0, count: 20))),
                       .rangeOutsideData(tensor: "w", begin: 8, end: 24, dataBytes: 20))
    }

    func testReversedAndNegativeOffsetsAreRefused() throws {
        let reversed = "{" + entry("w", shape: "[0]", offsets: "[8,4]") + "}"
        guard case .invalidOffsets(tensor: "w", _)? = try problem(SafetensorsTestWriter.file(header: reversed, data: Array(repeating: 0, count: 8))) else {
            return XCTFail("expected invalidOffsets for reversed range")
        }
        let negative = "{" + entry("w", shape: "[1]", offsets: "[-4,0]") + "}"
        guard case .invalidOffsets(tensor: "w", _)? = try problem(SafetensorsTestWriter.file(header: negative, data: [])) else {
            return XCTFail("expected invalidOffsets for negative begin")
        }
    }

    func testOverlappingRangesAreRefused() throws {
        let header = "{" + entry("a", shape: "[2]", offsets: "[0,8]") + "," + entry("b", shape: "[2]", offsets: "[4,12]") + "}"
        XCTAssertEqual(try problem(SafetensorsTestWriter.file(header: header, data: Array(repeating: 0, count: 12))),
                       .overlappingRanges(tensor: "b", begin: 4, end: 12, other: "a", otherBegin: 0, otherEnd: 8))
        // A range nested inside an earlier, longer one also overlaps.
        let nested = "{" + entry("a", shape: "[4]", offsets: "[0,16]") + "," + entry("b", shape: "[1]", offsets: "[4,8]") + "}"
        XCTAssertEqual(try problem(SafetensorsTestWriter.file(header: nested, data: Array(repeating: 0, count: 16))),
                       .overlappingRanges(tensor: "b", begin: 4, end: 8, other: "a", otherBegin: 0, otherEnd: 16))
    }

    func testNegativeFractionalAndHugeDimensionsAreRefused() throws {
        let negative = "{" + entry("w", shape: "[-1,4]", offsets: "[0,0]") + "}"
        XCTAssertEqual(try problem(SafetensorsTestWriter.file(header: negative, data: [])),
                       .invalidDimension(tensor: "w", index: 0, value: "-1"))
        let fractional = "{" + entry("w", shape: "[2,1.5]", offsets: "[0,12]") + "}"
        XCTAssertEqual(try problem(SafetensorsTestWriter.file(header: fractional, data: Array(repeating: 0, count: 12))),
                       .invalidDimension(tensor: "w", index: 1, value: "1.5"))
        let beyondInt64 = "{" + entry("w", shape: "[1e30]", offsets: "[0,4]") + "}"
        guard case .invalidDimension(tensor: "w", index: 0, _)? = try problem(SafetensorsTestWriter.file(header: beyondInt64, data: [0, 0, 0, 0])) else {
            return XCTFail("expected invalidDimension for 1e30")
        }
        // Each dimension fits in 64 bits but their product × 4 bytes does not.
        let overflow = "{" + entry("w", shape: "[4294967296,4294967296]", offsets: "[0,4]") + "}"
        XCTAssertEqual(try problem(SafetensorsTestWriter.file(header: overflow, data: [0, 0, 0, 0])),
                       .shapeOverflow(tensor: "w", shape: [4_294_967_296, 4_294_967_296]))
        let bytesOverflow = "{" + entry("w", shape: "[2305843009213693952]", offsets: "[0,4]") + "}"  // 2^61 × 32 bits
        XCTAssertEqual(try problem(SafetensorsTestWriter.file(header: bytesOverflow, data: [0, 0, 0, 0])),
                       .shapeOverflow(tensor: "w", shape: [2_305_843_009_213_693_952]))
    }

    func testMissingFileAndFolderAreReportedByPath() throws {
        let missing = folder.url.appendingPathComponent("absent.safetensors")
        XCTAssertThrowsError(try SafetensorsFile(url: missing)) { error in
            XCTAssertEqual(error as? MappedFileError, .notFound(path: missing.path))
        }
        XCTAssertThrowsError(try SafetensorsFile(url: folder.url)) { error in
            XCTAssertEqual(error as? MappedFileError, .notARegularFile(path: folder.url.path))
        }
    }
}
