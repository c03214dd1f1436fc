#if canImport(Glibc)
import Glibc
#endif

/// A float buffer aligned to 64 bytes (one cache line, one `SIMD16<Float>`).
///
/// Buffers of `hugePageThreshold` bytes or more (packed weights, a layer's attention) are aligned
/// to 2 MiB and, on Linux, advised to use transparent huge pages, so the GEMM's streams through
/// them miss the TLB 512× less often. Owned by the class: freed in `deinit`. Not thread-safe for
/// writes; callers give each thread its own buffer or disjoint ranges.
public final class AlignedFloats: @unchecked Sendable {
    /// First element.
    public let base: UnsafeMutablePointer<Float>
    /// Number of floats.
    public let count: Int

    /// Size from which a buffer asks for huge pages, bytes.
    static let hugePageThreshold = 4 << 20
    /// Transparent huge page size on x86-64 Linux, bytes.
    static let hugePageBytes = 2 << 20

    /// `count` floats set to 0.
    public convenience init(count: Int) {
        self.init(uninitializedCount: count)
        base.initialize(repeating: 0, count: max(count, 16))
    }

    /// `count` floats left as the allocator returns them, for a caller that writes every float it
    /// later reads (packed weights, a copy of A): saves a pass over memory that is about to be
    /// overwritten. Float is a trivial type, so no initialisation is owed.
    public init(uninitializedCount count: Int) {
        self.count = count
        let bytes = max(count, 16) * 4
        let huge = bytes >= Self.hugePageThreshold
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: huge ? Self.hugePageBytes : 64)
        if huge { Self.adviseHugePages(raw, bytes: bytes) }
        base = raw.bindMemory(to: Float.self, capacity: max(count, 16))
    }

    /// Asks the kernel to back the whole 2 MiB pages of `[start, start + bytes)` with huge pages
    /// (a hint: ignored where transparent huge pages are off or unknown).
    private static func adviseHugePages(_ start: UnsafeMutableRawPointer, bytes: Int) {
        #if os(Linux)
        let length = bytes / hugePageBytes * hugePageBytes
        guard length > 0 else { return }
        _ = madvise(start, length, 14 /* MADV_HUGEPAGE */)
        #endif
    }

    /// Size in bytes.
    public var byteCount: Int { count * 4 }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}
