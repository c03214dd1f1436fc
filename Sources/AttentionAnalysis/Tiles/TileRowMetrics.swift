import Foundation
import Kernels

/// One query row of a tile mask scored against the exact attention (Protocol/README.md §11):
/// the row values that the tile accumulators pool and `perPositionKL` reports per position.
/// Pure functions; any thread.
public enum TileRowMetrics {
    /// Row q's kept mass `m(q) = Σ_{k≤q kept} A[q,k] / Σ_{k≤q} A[q,k]` (Float64, keys in order);
    /// 1 for a row that falls back to dense, or whose row sum is 0.
    /// - Parameter attention: the head's exact attention `A` (T, T), row-major, causal.
    public static func keptMass(_ mask: TileMask, attention: UnsafeBufferPointer<Float>, query q: Int) -> Double {
        if mask.fallsBack(query: q) { return 1 }
        let g = mask.geometry, t = g.tokens, i = g.queryBlock(of: q)
        var kept = 0.0, total = 0.0
        for k in 0...q {
            let a = Double(attention[q * t + k])
            total += a
            if mask.isKept(queryBlock: i, keyBlock: g.keyBlock(of: k)) { kept += a }
        }
        return total > 0 ? kept / total : 1
    }

    /// The notebook's clamped row value `max(0, Σ_k P'(ln P' − ln Q'))` over all T keys with
    /// `P' = max(P, ε)`, `Q' = max(Q, ε)`, Q the pure mask's kept entries over `max(Z, ε)`
    /// (§11 `seedKL`), nats. The pure mask has no fallback: a row it empties has Q = 0.
    /// - Parameter epsilon: the clamp ε (`seedEpsilon`).
    public static func seedKL(pure: TileMask, attention a: UnsafeBufferPointer<Float>, query q: Int, epsilon eps: Double) -> Double {
        let g = pure.geometry, t = g.tokens, i = g.queryBlock(of: q), lnEps = log(eps)
        var z = 0.0
        for k in 0...q where pure.isKept(queryBlock: i, keyBlock: g.keyBlock(of: k)) { z += Double(a[q * t + k]) }
        let c = max(z, eps)
        var sum = 0.0
        for k in 0...q {          // keys after q have P = Q = 0: both clamp to ε and add nothing
            let p = Double(a[q * t + k])
            let qv = pure.isKept(queryBlock: i, keyBlock: g.keyBlock(of: k)) ? p / c : 0
            let pc = max(p, eps), qc = max(qv, eps)
            guard pc != qc else { continue }
            sum += pc * ((pc == eps ? lnEps : log(pc)) - (qc == eps ? lnEps : log(qc)))
        }
        return max(0, sum)
    }
}
