/// A safetensors file that cannot be read: which file, and what is wrong with it.
public struct SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// Path of the offending file.
    public let file: String
    /// What is wrong; tensor-specific problems name the tensor.
    public let problem: Problem

    public init(file: String, problem: Problem) {
        self.file = file
        self.problem = problem
    }

    /// Every way a safetensors file can be refused. Byte counts and offsets are in bytes;
    /// tensor offsets are relative to the start of the data section (after the header).
    public enum Problem: Error, Equatable, Sendable {
        /// The file is shorter than the 8-byte little-endian header length.
        case truncatedHeaderLength(fileBytes: Int)
        /// The header length claims more bytes than the file holds after the first 8.
        case headerBeyondFile(claimedBytes: UInt64, availableBytes: Int)
        /// The header length exceeds the 100 MB limit.
        case headerTooLarge(claimedBytes: UInt64, limitBytes: Int)
        /// The header is not UTF-8 JSON.
        case headerNotJSON(detail: String)
        /// The header is JSON but not an object (e.g. an array).
        case headerNotObject(found: String)
        /// `__metadata__` is not an object of string → string.
        case invalidMetadata(detail: String)
        /// A tensor's entry is not an object.
        case entryNotObject(tensor: String, found: String)
        /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`.
        case missingField(tensor: String, field: String)
        /// A field has the wrong JSON type.
        case fieldWrongType(tensor: String, field: String, expected: String, found: String)
        /// The dtype is not one safetensors defines.
        case unknownDType(tensor: String, dtype: String)
        /// A shape dimension is negative or not an integer that fits in 64 bits.
        case invalidDimension(tensor: String, index: Int, value: String)
        /// The element count or byte size of the shape overflows 64-bit arithmetic.
        case shapeOverflow(tensor: String, shape: [Int])
        /// `data_offsets` is not two non-negative integers with begin ≤ end.
        case invalidOffsets(tensor: String, detail: String)
        /// The byte range does not match shape × dtype size.
        case byteCountMismatch(tensor: String, dtype: String, shape: [Int], expectedBytes: Int, actualBytes: Int)
        /// The byte range ends beyond the data section.
        case rangeOutsideData(tensor: String, begin: Int, end: Int, dataBytes: Int)
        /// Two tensors' byte ranges overlap.
        case overlappingRanges(tensor: String, begin: Int, end: Int, other: String, otherBegin: Int, otherEnd: Int)
        /// No tensor of this name in the file.
        case tensorNotFound(tensor: String)
        /// The tensor's dtype cannot be read as float32.
        case notAFloatDType(tensor: String, dtype: String)
    }

    public var description: String { "\(file): \(problem.message)" }
}

extension SafetensorsError.Problem {
    /// A sentence saying what is wrong and, where it helps, what was expected.
    public var message: String {
        switch self {
        case .truncatedHeaderLength(let n):
            return "truncated file: \(n) bytes, but a safetensors file starts with an 8-byte header length"
        case .headerBeyondFile(let claimed, let available):
            return "header that lies: it claims \(claimed) bytes but only \(available) bytes follow the length field (truncated file?)"
        case .headerTooLarge(let claimed, let limit):
            return "header of \(claimed) bytes exceeds the \(limit)-byte limit (corrupt length field?)"
        case .headerNotJSON(let detail):
            return "header is not valid UTF-8 JSON (\(detail))"
        case .headerNotObject(let found):
            return "header must be a JSON object mapping tensor names to entries, found \(found)"
        case .invalidMetadata(let detail):
            return "__metadata__ must be an object of string to string: \(detail)"
        case .entryNotObject(let tensor, let found):
            return "tensor '\(tensor)': entry must be an object with dtype, shape, data_offsets; found \(found)"
        case .missingField(let tensor, let field):
            return "tensor '\(tensor)': entry has no '\(field)'"
        case .fieldWrongType(let tensor, let field, let expected, let found):
            return "tensor '\(tensor)': '\(field)' must be \(expected), found \(found)"
        case .unknownDType(let tensor, let dtype):
            let known = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            return "tensor '\(tensor)': unknown dtype '\(dtype)' (known: \(known))"
        case .invalidDimension(let tensor, let index, let value):
            return "tensor '\(tensor)': shape[\(index)] = \(value) is not a non-negative integer"
        case .shapeOverflow(let tensor, let shape):
            return "tensor '\(tensor)': shape \(shape) is too large (its byte size overflows 64 bits)"
        case .invalidOffsets(let tensor, let detail):
            return "tensor '\(tensor)': data_offsets \(detail)"
        case .byteCountMismatch(let tensor, let dtype, let shape, let expected, let actual):
            return "tensor '\(tensor)': header that lies: shape \(shape) of \(dtype) needs \(expected) bytes but data_offsets span \(actual)"
        case .rangeOutsideData(let tensor, let begin, let end, let dataBytes):
            return "tensor '\(tensor)': data_offsets [\(begin), \(end)] run past the data section of \(dataBytes) bytes (truncated file?)"
        case .overlappingRanges(let tensor, let begin, let end, let other, let otherBegin, let otherEnd):
            return "tensor '\(tensor)': bytes [\(begin), \(end)) overlap tensor '\(other)' at [\(otherBegin), \(otherEnd))"
        case .tensorNotFound(let tensor):
            return "no tensor named '\(tensor)'"
        case .notAFloatDType(let tensor, let dtype):
            let loadable = SafetensorsDType.floatLoadable.map(\.rawValue).joined(separator: ", ")
            return "tensor '\(tensor)': dtype \(dtype) cannot be loaded as float (loadable: \(loadable))"
        }
    }
}
