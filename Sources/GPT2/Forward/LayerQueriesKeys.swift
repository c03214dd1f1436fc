import Kernels

/// One layer's queries and keys, as the attention is about to use them: Q and K (H, T, D) read in
/// place from the layer's fused qkv (T, 3C) (head h of Q at columns `h·D`, of K at `C + h·D`).
///
/// Borrowed: valid only during the hook call that hands it out; copy (`copyQueries()`,
/// `copyKeys()`) what must outlive it. Read-only, so it may be read from several threads at once.
public struct LayerQueriesKeys {
    private let qkv: UnsafePointer<Float>   // (T, rowStride): Q at columns 0..<C, K at C..<2C
    /// Floats from one token's row to the next: 3C in the layer's fused qkv.
    public let rowStride: Int
    /// `T`.
    public let tokens: Int
    /// `H`.
    public let heads: Int
    /// `D = C / H`.
    public let headDim: Int

    init(qkv: UnsafePointer<Float>, tokens: Int, heads: Int, headDim: Int) {
        self.init(rows: qkv, rowStride: 3 * heads * headDim, tokens: tokens, heads: heads, headDim: headDim)
    }

    /// Q and K read from `rows` (T, rowStride): Q at columns 0..<C, K at C..<2C, C = H·D; e.g. a
    /// copy of a pass's Q and K kept for later (`rowStride` 2C).
    /// - Precondition: `rowStride ≥ 2C`.
    public init(rows: UnsafePointer<Float>, rowStride: Int, tokens: Int, heads: Int, headDim: Int) {
        precondition(rowStride >= 2 * heads * headDim, "rows of \(rowStride) floats cannot hold Q and K (2C = \(2 * heads * headDim))")
        self.qkv = rows
        self.rowStride = rowStride
        self.tokens = tokens
        self.heads = heads
        self.headDim = headDim
    }

    /// Q and K (T, D) of head `h`, rows 3C floats apart.
    public func head(_ h: Int) -> HeadQueriesKeys {
        precondition(h >= 0 && h < heads, "head \(h) out of 0..<\(heads)")
        let c = heads * headDim
        return HeadQueriesKeys(q: qkv + h * headDim, k: qkv + c + h * headDim, rowStride: rowStride, tokens: tokens,
                               headDim: headDim)
    }

    /// Q as a contiguous (H, T, D) array.
    public func copyQueries() -> [Float] { copy(offset: 0) }

    /// K as a contiguous (H, T, D) array.
    public func copyKeys() -> [Float] { copy(offset: heads * headDim) }

    /// Q then K of each token, (T, 2C) row-major: what `init(rows:rowStride: 2C …)` reads back.
    public func copyQueriesKeys(into out: UnsafeMutablePointer<Float>) {
        let c2 = 2 * heads * headDim
        for t in 0..<tokens { (out + t * c2).update(from: qkv + t * rowStride, count: c2) }
    }

    private func copy(offset: Int) -> [Float] {
        let d = headDim
        var out = [Float](repeating: 0, count: heads * tokens * d)   // (H, T, D)
        for h in 0..<heads {
            for t in 0..<tokens {
                for i in 0..<d { out[(h * tokens + t) * d + i] = qkv[t * rowStride + offset + h * d + i] }
            }
        }
        return out
    }
}
