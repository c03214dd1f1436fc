/// Q, K and V of one attention head: three (T, D) matrices, row `t` of each at
/// `base + t * rowStride` (in GPT-2's fused qkv (T, 3C) the stride is 3C).
///
/// Borrowed pointers: valid only during the call that hands them out.
public struct HeadProjections {
    public let q: UnsafePointer<Float>      // (T, D)
    public let k: UnsafePointer<Float>      // (T, D)
    public let v: UnsafePointer<Float>      // (T, D)
    /// Floats between consecutive rows of each matrix.
    public let rowStride: Int
    /// `T ≥ 1`.
    public let tokens: Int
    /// `D ≥ 1`.
    public let headDim: Int

    public init(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, rowStride: Int,
                tokens: Int, headDim: Int) {
        self.q = q
        self.k = k
        self.v = v
        self.rowStride = rowStride
        self.tokens = tokens
        self.headDim = headDim
    }
}

/// Q and K of one attention head, without V: what a tile estimator may read. Two (T, D)
/// matrices, row `t` of each at `base + t * rowStride`.
///
/// Borrowed pointers: valid only during the call that hands them out.
public struct HeadQueriesKeys {
    public let q: UnsafePointer<Float>      // (T, D)
    public let k: UnsafePointer<Float>      // (T, D)
    /// Floats between consecutive rows of each matrix.
    public let rowStride: Int
    /// `T ≥ 1`.
    public let tokens: Int
    /// `D ≥ 1`.
    public let headDim: Int

    public init(q: UnsafePointer<Float>, k: UnsafePointer<Float>, rowStride: Int, tokens: Int, headDim: Int) {
        self.q = q
        self.k = k
        self.rowStride = rowStride
        self.tokens = tokens
        self.headDim = headDim
    }

    /// Row `t` of Q (D floats).
    @inline(__always)
    public func query(_ t: Int) -> UnsafePointer<Float> { q + t * rowStride }

    /// Row `t` of K (D floats).
    @inline(__always)
    public func key(_ t: Int) -> UnsafePointer<Float> { k + t * rowStride }
}
