@testable import AttentionAnalysis

/// Small causal attention matrices with dyadic weights, worked out by hand in the tests.
enum HandWorked {
    /// 4×4, one head. Rows sum to 1; future entries 0.
    static let fourByFour: [Float] = [
        1, 0, 0, 0,
        0.75, 0.25, 0, 0,
        0.125, 0.125, 0.75, 0,
        0.0625, 0.0625, 0.125, 0.75,
    ]

    /// 5×5, one head. With B = 2 the last block {4} is partial.
    static let fiveByFive: [Float] = [
        1, 0, 0, 0, 0,
        0.5, 0.5, 0, 0, 0,
        0.25, 0.25, 0.5, 0, 0,
        0.25, 0.25, 0.25, 0.25, 0,
        0.125, 0.125, 0.25, 0.25, 0.25,
    ]

    /// Runs one point over a single-layer attention `(H, T, T)` and returns its result.
    static func sweep(_ attention: [Float], heads: Int = 1, tokens: Int, _ point: SweepSetting,
                      eps: Double = 1e-12) throws -> SweepPointResult {
        let acc = try SweepAccumulator(points: [point], tokens: tokens, heads: heads, layers: 1, seedEpsilon: eps)
        try attention.withUnsafeBufferPointer { try acc.consume(layer: 0, attention: $0) }
        return try acc.result()[0]
    }

    /// Per-position values of one layer for one point and metric.
    static func perPosition(_ attention: [Float], heads: Int = 1, tokens: Int, _ point: SweepSetting,
                            metric: PerPositionMetric, segmentSize: Int? = nil) throws -> PerPositionLayer {
        let acc = try PerPositionAccumulator(point: point, metric: metric, segmentSize: segmentSize, tokens: tokens,
                                             heads: heads, layers: 1)
        try attention.withUnsafeBufferPointer { try acc.consume(layer: 0, attention: $0) }
        return try acc.result().layers[0]
    }

    /// The attention after the intervention for `point`.
    static func pruned(_ attention: [Float], heads: Int = 1, tokens: Int, _ point: SweepSetting) throws -> [Float] {
        var copy = attention
        let intervention = try AttentionIntervention(point: point, heads: heads, tokens: tokens)
        try copy.withUnsafeMutableBufferPointer { try intervention.closure(0, $0) }
        return copy
    }
}
