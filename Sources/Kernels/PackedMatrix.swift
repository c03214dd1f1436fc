/// A constant right-hand GEMM operand B (K, N), packed once into the micro-kernel's panel
/// layout (k-blocks of `gemmKC` rows, panels of `gemmNR` columns).
///
/// Weights never change, so the forward pass packs each weight matrix once at model load and
/// reuses the panels for every request. Immutable after `init`; safe to read from any thread.
public final class PackedMatrix: @unchecked Sendable {
    /// Rows of B (the reduction length).
    public let k: Int
    /// Columns of B (the output width).
    public let n: Int
    let storage: AlignedFloats

    /// Packs B (K, N) where element (kk, j) is `source[kk * rowStride + j]`, or, when
    /// `transposed`, `source[j * rowStride + kk]` (`source` is then (N, K), e.g. an LM head
    /// `(V, C)` used as B = headᵀ).
    public init(k: Int, n: Int, source: UnsafePointer<Float>, rowStride: Int, transposed: Bool = false) {
        self.k = k
        self.n = n
        storage = AlignedFloats(uninitializedCount: packedBCount(k: k, n: n))   // packB writes every float, padding too
        packB(k: k, n: n, source: source, rowStride: rowStride, transposed: transposed, into: storage.base)
    }

    /// Memory held by the packed panels, in bytes.
    public var byteCount: Int { storage.byteCount }

    /// Panel `panel` of k-block `block`.
    @inline(__always)
    func panel(block: Int, panel: Int) -> UnsafePointer<Float> {
        packedBPanel(storage.base, n: n, k: k, block: block, panel: panel)
    }
}
