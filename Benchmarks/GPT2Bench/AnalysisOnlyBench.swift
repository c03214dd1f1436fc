import AttentionAnalysis
import Dispatch
import Foundation
import SyntheticAttention

/// Times the attention-level sweep on synthetic causal softmax attention (no model needed).
enum SweepBenchmark {
    struct Report: Sendable {
        /// Wall time of all `consume` calls, seconds.
        var seconds: Double
        var layers: Int
        var heads: Int
        var tokens: Int
        var points: Int
        var threads: Int
    }

    /// Feeds one synthetic layer `layers` times (as layers 0..<L) through a `SweepAccumulator`
    /// and times the `consume` calls. Default: GPT-2 small at T = 1024, 5 thresholds × 3 block sizes.
    static func run(points: [SweepSetting] = SweepSetting.grid(selection: .threshold,
                                                                  values: [0.01, 0.005, 0.002, 0.001, 0.0005],
                                                                  blockSizes: [16, 32, 64]),
                           layers: Int = 12, heads: Int = 12, tokens: Int = 1024, threadCount: Int = 2) throws -> Report {
        let layer = SyntheticAttention.layer(heads: heads, tokens: tokens)
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
