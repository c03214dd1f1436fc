import Kernels

/// One layer's queries and keys, as the attention is about to use them: Q and K (H, T, D) read in
/// place from the layer's fused qkv (T, 3C) (head h of Q at columns `h·D`, of K at `C + h·D`).
///
/// Borrowed: valid only during the hook call that hands it out; copy (`copyQueries()`,
/// `copyKeys()`) what must outlive it. Read-only, so it may be read from several threads at once.
public struct LayerQueriesKeys {
    private let qkv: UnsafePointer<Float>   // (T, 3C)
    /// `T`.
    public let tokens: Int
    /// `H`.
    public let heads: Int
    /// `D = C / H`.
    public let headDim: Int

    init(qkv: UnsafePointer<Float>, tokens: Int, heads: Int, headDim: Int) {
        self.qkv = qkv
        self.tokens = tokens
        self.heads = heads
        self.headDim = headDim
    }

    /// Q and K (T, D) of head `h`, rows 3C floats apart.
    public func head(_ h: Int) -> HeadQueriesKeys {
        precondition(h >= 0 && h < heads, "head \(h) out of 0..<\(heads)")
        let c = heads * headDim
        return HeadQueriesKeys(q: qkv + h * headDim, k: qkv + c + h * headDim, rowStride: 3 * c, tokens: tokens,
                               headDim: headDim)
    }

    /// Q as a contiguous (H, T, D) array.
    public func copyQueries() -> [Float] { copy(offset: 0) }

    /// K as a contiguous (H, T, D) array.
    public func copyKeys() -> [Float] { copy(offset: heads * headDim) }

    private func copy(offset: Int) -> [Float] {
        let c = heads * headDim, d = headDim
        var out = [Float](repeating: 0, count: heads * tokens * d)   // (H, T, D)
        for h in 0..<heads {
            for t in 0..<tokens {
                for i in 0..<d { out[(h * tokens + t) * d + i] = qkv[t * 3 * c + offset + h * d + i] }
            }
        }
        return out
    }
}
