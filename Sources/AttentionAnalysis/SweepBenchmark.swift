import Dispatch
import Foundation

/// Times the attention-level sweep on synthetic causal softmax attention (no model needed).
public enum SweepBenchmark {
    public struct Report: Sendable {
        /// Wall time of all `consume` calls, seconds.
        public var seconds: Double
        public var layers: Int
        public var heads: Int
        public var tokens: Int
        public var points: Int
        public var threads: Int
    }

    /// One layer `(H, T, T)` of causal softmax attention from seeded scores `N(0, spread)`-ish.
    public static func syntheticLayer(heads: Int, tokens: Int, spread: Float = 3, seed: UInt64 = 1) -> [Float] {
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

    /// Feeds one synthetic layer `layers` times (as layers 0..<L) through a `SweepAccumulator`
    /// and times the `consume` calls. Default: GPT-2 small at T = 1024, 5 thresholds × 3 block sizes.
    public static func run(points: [SweepPoint] = SweepPoint.grid(selection: .threshold,
                                                                  values: [0.01, 0.005, 0.002, 0.001, 0.0005],
                                                                  blockSizes: [16, 32, 64]),
                           layers: Int = 12, heads: Int = 12, tokens: Int = 1024, threadCount: Int = 2) throws -> Report {
        let layer = syntheticLayer(heads: heads, tokens: tokens)
        let acc = try SweepAccumulator(points: points, tokens: tokens, heads: heads, layers: layers, threadCount: threadCount)
        let start = DispatchTime.now().uptimeNanoseconds
        for l in 0..<layers {
            try layer.withUnsafeBufferPointer { try acc.consume(layer: l, attention: $0) }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        _ = try acc.result()
        return Report(seconds: seconds, layers: layers, heads: heads, tokens: tokens, points: points.count,
                      threads: threadCount)
    }
}
