import Foundation

/// Reads and validates the header of a safetensors file:
/// `[u64 little-endian N][N bytes of JSON][data section]`.
///
/// Every check is made before any tensor byte is touched, so a file that passes can be read
/// without bounds checks: each tensor's range lies inside the data section, its length equals
/// shape × dtype size, and no two ranges overlap. Gaps between ranges are allowed.
enum SafetensorsHeaderParser {
    /// Largest header accepted, in bytes (the reference implementation's limit).
    static let maxHeaderBytes = 100_000_000

    /// What a valid header describes.
    struct Layout {
        /// Byte offset of the JSON header in the file (always 8) and its length in bytes.
        var headerRange: Range<Int>
        /// Byte offset of the data section in the file and its length in bytes.
        var dataRange: Range<Int>
        var metadata: [String: String]
        /// Tensors sorted by byte offset.
        var tensors: [SafetensorsTensorInfo]
    }

    /// Validates `file` (the whole file's bytes).
    /// - Throws: `SafetensorsError.Problem` describing the first violation found.
    static func parse(_ file: UnsafeRawBufferPointer) throws -> Layout {
        guard file.count >= 8 else { throw SafetensorsError.Problem.truncatedHeaderLength(fileBytes: file.count) }
        var claimed: UInt64 = 0
        for i in 0..<8 { claimed |= UInt64(file[i]) << (8 * UInt64(i)) }
        if claimed > UInt64(maxHeaderBytes) {
            throw SafetensorsError.Problem.headerTooLarge(claimedBytes: claimed, limitBytes: maxHeaderBytes)
        }
        guard claimed <= UInt64(file.count - 8) else {
            throw SafetensorsError.Problem.headerBeyondFile(claimedBytes: claimed, availableBytes: file.count - 8)
        }
        let headerRange = 8..<(8 + Int(claimed))
        let dataRange = headerRange.upperBound..<file.count

        let json: CheckpointJSON
        do {
            json = try CheckpointJSON.parse(Data(file[headerRange]))
        } catch {
            throw SafetensorsError.Problem.headerNotJSON(detail: conciseDescription(of: error))
        }
        guard case .object(let entries) = json else {
            throw SafetensorsError.Problem.headerNotObject(found: json.kindDescription)
        }

        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensorInfo] = []
        for (name, entry) in entries {
            if name == "__metadata__" {
                metadata = try parseMetadata(entry)
            } else {
                tensors.append(try parseEntry(name: name, entry, dataBytes: dataRange.count))
            }
        }
        tensors.sort { ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name) }
        try checkNoOverlap(tensors)
        return Layout(headerRange: headerRange, dataRange: dataRange, metadata: metadata, tensors: tensors)
    }

    private static func parseMetadata(_ value: CheckpointJSON) throws -> [String: String] {
        guard case .object(let fields) = value else {
            throw SafetensorsError.Problem.invalidMetadata(detail: "found \(value.kindDescription)")
        }
        var metadata: [String: String] = [:]
        for (key, field) in fields {
            guard case .string(let text) = field else {
                throw SafetensorsError.Problem.invalidMetadata(detail: "'\(key)' is \(field.kindDescription)")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(name: String, _ value: CheckpointJSON, dataBytes: Int) throws -> SafetensorsTensorInfo {
        guard case .object(let fields) = value else {
            throw SafetensorsError.Problem.entryNotObject(tensor: name, found: value.kindDescription)
        }
        func field(_ key: String) throws -> CheckpointJSON {
            guard let v = fields[key] else { throw SafetensorsError.Problem.missingField(tensor: name, field: key) }
            return v
        }

        let dtypeValue = try field("dtype")
        guard case .string(let dtypeName) = dtypeValue else {
            throw SafetensorsError.Problem.fieldWrongType(tensor: name, field: "dtype", expected: "a string", found: dtypeValue.kindDescription)
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.Problem.unknownDType(tensor: name, dtype: dtypeName)
        }

        let shapeValue = try field("shape")
        guard case .array(let dims) = shapeValue else {
            throw SafetensorsError.Problem.fieldWrongType(tensor: name, field: "shape", expected: "an array of integers", found: shapeValue.kindDescription)
        }
        var shape: [Int] = []
        for (index, dim) in dims.enumerated() {
            switch dim {
            case .integer(let n) where n >= 0: shape.append(n)
            case .integer(let n): throw SafetensorsError.Problem.invalidDimension(tensor: name, index: index, value: String(n))
            case .number(let x): throw SafetensorsError.Problem.invalidDimension(tensor: name, index: index, value: String(x))
            default: throw SafetensorsError.Problem.invalidDimension(tensor: name, index: index, value: dim.kindDescription)
            }
        }

        let offsetsValue = try field("data_offsets")
        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
              case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1] else {
            throw SafetensorsError.Problem.fieldWrongType(tensor: name, field: "data_offsets", expected: "an array of two integers [begin, end]", found: offsetsValue.kindDescription)
        }
        guard begin >= 0, end >= begin else {
            throw SafetensorsError.Problem.invalidOffsets(tensor: name, detail: "[\(begin), \(end)] must satisfy 0 ≤ begin ≤ end")
        }

        let expectedBytes = try byteCount(of: shape, dtype: dtype, tensor: name)
        guard expectedBytes == end - begin else {
            throw SafetensorsError.Problem.byteCountMismatch(tensor: name, dtype: dtypeName, shape: shape, expectedBytes: expectedBytes, actualBytes: end - begin)
        }
        guard end <= dataBytes else {
            throw SafetensorsError.Problem.rangeOutsideData(tensor: name, begin: begin, end: end, dataBytes: dataBytes)
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// Bytes needed by `shape` elements of `dtype`, with overflow-checked arithmetic.
    private static func byteCount(of shape: [Int], dtype: SafetensorsDType, tensor: String) throws -> Int {
        var bits = dtype.bitWidth
        for dim in shape {
            let (product, overflow) = bits.multipliedReportingOverflow(by: dim)
            if overflow { throw SafetensorsError.Problem.shapeOverflow(tensor: tensor, shape: shape) }
            bits = product
        }
        guard bits % 8 == 0 else {
            throw SafetensorsError.Problem.invalidOffsets(tensor: tensor, detail: "cannot hold \(shape.reduce(1, *)) elements of \(dtype.rawValue): not a whole number of bytes")
        }
        return bits / 8
    }

    /// `tensors` sorted by start. A range overlaps when it starts before the furthest end seen
    /// so far; an empty range overlaps nothing.
    private static func checkNoOverlap(_ tensors: [SafetensorsTensorInfo]) throws {
        var furthest: SafetensorsTensorInfo?
        for tensor in tensors where !tensor.byteRange.isEmpty {
            if let p = furthest {
                if tensor.byteRange.lowerBound < p.byteRange.upperBound {
                    throw SafetensorsError.Problem.overlappingRanges(
                        tensor: tensor.name, begin: tensor.byteRange.lowerBound, end: tensor.byteRange.upperBound,
                        other: p.name, otherBegin: p.byteRange.lowerBound, otherEnd: p.byteRange.upperBound)
                }
                if tensor.byteRange.upperBound <= p.byteRange.upperBound { continue }
            }
            furthest = tensor
        }
    }

    private static func conciseDescription(of error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            if let underlying = context.underlyingError { return "\(underlying)" }
            return context.debugDescription
        }
        return "\(error)"
    }
}
