/// A zero-initialised float buffer aligned to 64 bytes (one cache line, one `SIMD16<Float>`).
///
/// Owned by the class: freed in `deinit`. Not thread-safe for writes; callers give each thread
/// its own buffer or disjoint ranges.
public final class AlignedFloats: @unchecked Sendable {
    /// First element.
    public let base: UnsafeMutablePointer<Float>
    /// Number of floats.
    public let count: Int

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 16) * 4, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 16))
        base.initialize(repeating: 0, count: max(count, 16))
    }

    /// Size in bytes.
    public var byteCount: Int { count * 4 }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}
