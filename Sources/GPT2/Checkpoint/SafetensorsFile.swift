import Foundation

/// A validated, memory-mapped safetensors file. Opening it maps the file and checks the whole
/// header (see `SafetensorsHeaderParser`); tensor bytes are not copied until asked for, and
/// aligned F32 tensors are never copied.
///
/// - Important: immutable after `init`; safe to share and read from any thread.
public final class SafetensorsFile: @unchecked Sendable {
    /// The mapping every view into this file keeps alive.
    public let mapping: MappedFile
    /// `__metadata__` from the header (empty when absent).
    public let metadata: [String: String]
    /// All tensors, sorted by byte offset.
    public let tensors: [SafetensorsTensorInfo]
    /// Byte range of the JSON header within the file.
    public let headerRange: Range<Int>
    /// Byte range of the data section within the file; tensor ranges are relative to its start.
    public let dataRange: Range<Int>
    private let index: [String: Int]

    /// Maps and validates the file at `url`.
    /// - Throws: `MappedFileError` when the file cannot be mapped, `SafetensorsError` when its
    ///   contents are not a valid safetensors file.
    public convenience init(url: URL) throws {
        try self.init(mapping: MappedFile(url: url))
    }

    /// Validates an already mapped file.
    /// - Throws: `SafetensorsError` naming the file, the tensor and what is wrong.
    public init(mapping: MappedFile) throws {
        self.mapping = mapping
        let layout: SafetensorsHeaderParser.Layout
        do {
            layout = try SafetensorsHeaderParser.parse(mapping.bytes)
        } catch let problem as SafetensorsError.Problem {
            throw SafetensorsError(file: mapping.url.path, problem: problem)
        }
        metadata = layout.metadata
        tensors = layout.tensors
        headerRange = layout.headerRange
        dataRange = layout.dataRange
        index = Dictionary(layout.tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The header's JSON bytes.
    public var headerBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: mapping.bytes[headerRange]) }

    /// The entry for `name`, or nil when the file has no such tensor.
    public func info(_ name: String) -> SafetensorsTensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// The stored bytes of tensor `name` (little-endian, as in the file).
    /// - Throws: `SafetensorsError` (`tensorNotFound`).
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        let tensor = try require(name)
        return rawBytes(of: tensor)
    }

    /// Tensor `name` as float32 with its stored shape. Aligned F32 data is viewed in place
    /// (the tensor's owner is `mapping`); unaligned F32 is copied; F16 and BF16 are widened
    /// exactly into a new buffer.
    /// - Throws: `SafetensorsError` when there is no such tensor or its dtype is not F32,
    ///   F16 or BF16.
    public func floatTensor(_ name: String) throws -> FloatTensor {
        let tensor = try require(name)
        let bytes = rawBytes(of: tensor)
        let count = tensor.elementCount
        switch tensor.dtype {
        case .f32:
            if let base = bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                return FloatTensor(shape: tensor.shape, pointer: base.assumingMemoryBound(to: Float.self), owner: mapping)
            }
            let copy = OwnedFloats(count: count)
            if let base = bytes.baseAddress { UnsafeMutableRawPointer(copy.base).copyMemory(from: base, byteCount: bytes.count) }
            return FloatTensor(shape: tensor.shape, pointer: UnsafePointer(copy.base), owner: copy)
        case .f16, .bf16:
            let widened = OwnedFloats(count: count)
            if let base = bytes.baseAddress {
                if tensor.dtype == .f16 {
                    HalfPrecision.widenF16(from: base, count: count, into: widened.base)
                } else {
                    HalfPrecision.widenBF16(from: base, count: count, into: widened.base)
                }
            }
            return FloatTensor(shape: tensor.shape, pointer: UnsafePointer(widened.base), owner: widened)
        default:
            throw SafetensorsError(file: mapping.url.path, problem: .notAFloatDType(tensor: name, dtype: tensor.dtype.rawValue))
        }
    }

    private func require(_ name: String) throws -> SafetensorsTensorInfo {
        guard let tensor = info(name) else {
            throw SafetensorsError(file: mapping.url.path, problem: .tensorNotFound(tensor: name))
        }
        return tensor
    }

    private func rawBytes(of tensor: SafetensorsTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataRange.lowerBound + tensor.byteRange.lowerBound
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[start..<(start + tensor.byteRange.count)])
    }
}
