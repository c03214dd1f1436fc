/// A read-only float32 tensor, row-major, whose memory is kept alive by `owner`.
///
/// Weights loaded from a checkpoint point straight into the memory-mapped file when the
/// stored dtype is F32 and the data is 4-byte aligned; otherwise they point into an owned,
/// widened copy. Either way the view is immutable and safe to read from any thread.
public struct FloatTensor: @unchecked Sendable {
    /// Dimensions, outermost first, e.g. `[V, C]` for the token embedding.
    public let shape: [Int]
    /// First element. Valid while `owner` is alive (this struct holds it).
    public let pointer: UnsafePointer<Float>
    /// Whatever keeps `pointer` valid (a mapped file, an owned buffer).
    public let owner: AnyObject

    public init(shape: [Int], pointer: UnsafePointer<Float>, owner: AnyObject) {
        self.shape = shape
        self.pointer = pointer
        self.owner = owner
    }

    /// Number of elements: the product of `shape`.
    public var count: Int { shape.reduce(1, *) }

    /// The elements as a buffer.
    /// - Important: valid only while this tensor (and so `owner`) is alive. Do not take the
    ///   buffer of a temporary (`try file.floatTensor(x).buffer`): hold the tensor first.
    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }

    /// A tensor that owns a copy of `values` (tests, random models).
    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        let storage = OwnedFloats(values)
        self.init(shape: shape, pointer: UnsafePointer(storage.base), owner: storage)
    }
}

/// A heap buffer of floats owned by a class, so tensors can share it.
public final class OwnedFloats: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        base = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let s = src.baseAddress { base.update(from: s, count: values.count) }
        }
    }

    deinit { base.deallocate() }
}
