import Foundation

/// Deterministic synthetic attention for tests and benchmarks: causal softmax rows from
/// seeded scores, no model needed.
public enum SyntheticAttention {
    /// One layer `(H, T, T)` of causal softmax attention from seeded scores `N(0, spread)`-ish.
    public static func layer(heads: Int, tokens: Int, spread: Float = 3, seed: UInt64 = 1) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var out = [Float](repeating: 0, count: heads * tokens * tokens)
        var scores = [Float](repeating: 0, count: tokens)
        for h in 0..<heads {
            for q in 0..<tokens {
                var m = -Float.infinity
                for k in 0...q {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let u = Float(state >> 40) / Float(1 << 24)        // [0, 1)
                    scores[k] = spread * (u * 2 - 1) * (u * 2 - 1) * (u * 2 - 1) * 4
                    m = max(m, scores[k])
                }
                var sum: Float = 0
                for k in 0...q { scores[k] = expf(scores[k] - m); sum += scores[k] }
                let base = (h * tokens + q) * tokens
                for k in 0...q { out[base + k] = scores[k] / sum }
            }
        }
        return out
    }
}
