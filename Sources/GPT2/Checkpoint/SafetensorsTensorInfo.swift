/// One tensor's entry in a safetensors header, already validated.
public struct SafetensorsTensorInfo: Equatable, Sendable {
    /// The tensor's name as stored (e.g. `transformer.h.0.attn.c_attn.weight`).
    public let name: String
    public let dtype: SafetensorsDType
    /// Dimensions, outermost first; `[]` is a scalar.
    public let shape: [Int]
    /// Byte range `[begin, end)` relative to the start of the data section.
    public let byteRange: Range<Int>

    /// Number of elements: the product of `shape`.
    public var elementCount: Int { shape.reduce(1, *) }
}
