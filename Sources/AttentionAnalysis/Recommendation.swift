/// The sparsest sweep point within a divergence budget, for one block size.
public struct Recommendation: Codable, Equatable, Sendable {
    public var blockSize: Int
    /// `"outputKL"` (end-to-end results) or `"attentionKL"`.
    public var metric: String
    /// The budget the metric had to stay within, nats.
    public var budget: Double
    /// The chosen point; nil when no point of this block size is within budget.
    public var point: RecommendedPoint?
    /// Why there is no point (nil when there is one).
    public var reason: String?

    private enum CodingKeys: String, CodingKey { case blockSize, metric, budget, point, reason }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(blockSize, forKey: .blockSize)
        try c.encode(metric, forKey: .metric)
        try c.encode(budget, forKey: .budget)
        try c.encode(point, forKey: .point)
        try c.encode(reason, forKey: .reason)
    }
}

public struct RecommendedPoint: Codable, Equatable, Sendable {
    public var selection: SelectionRule
    public var threshold: Double
    public var prunedBlockFraction: Double
    /// The budgeted metric's value at this point, nats.
    public var value: Double
}

public enum Recommender {
    /// For each block size (in order of first appearance), the point with the highest
    /// `prunedBlockFraction` whose metric is within budget (ties: the smaller metric, then
    /// the earlier point), or none. A point that prunes nothing (`prunedBlockFraction` 0, e.g.
    /// every point of a block size ≥ the token count) is never recommended.
    ///
    /// The metric is `outputKL` when `maxOutputKL` is given and every point has end-to-end
    /// results; otherwise `attentionKL` against `maxAttentionKL`.
    /// - Throws: `invalidBudget` when no usable budget is given, or a budget is negative/NaN.
    public static func recommend(points: [SweepPointResult], maxOutputKL: Double? = nil,
                                 maxAttentionKL: Double? = nil) throws -> [Recommendation] {
        for (field, value) in [("maxOutputKL", maxOutputKL), ("maxAttentionKL", maxAttentionKL)] {
            if let v = value, !(v >= 0 && v.isFinite) {
                throw AnalysisError.invalidBudget(field: field, reason: "\(v) is not a finite number ≥ 0 (nats)")
            }
        }
        let endToEnd = !points.isEmpty && points.allSatisfy { $0.endToEnd != nil }
        let metric: String, budget: Double, value: (SweepPointResult) -> Double
        if let b = maxOutputKL, endToEnd {
            (metric, budget, value) = ("outputKL", b, { $0.endToEnd?.outputKL ?? .infinity })
        } else if let b = maxAttentionKL {
            (metric, budget, value) = ("attentionKL", b, { $0.attentionKL })
        } else if maxOutputKL != nil {
            throw AnalysisError.invalidBudget(field: "maxOutputKL",
                                              reason: "needs end-to-end results (endToEnd: true); or give maxAttentionKL")
        } else {
            throw AnalysisError.invalidBudget(field: "maxAttentionKL", reason: "give maxOutputKL (with endToEnd) or maxAttentionKL")
        }
        var sizes: [Int] = []
        for p in points where !sizes.contains(p.blockSize) { sizes.append(p.blockSize) }
        return sizes.map { size in
            var best: SweepPointResult?
            for p in points where p.blockSize == size && value(p) <= budget && p.prunedBlockFraction > 0 {
                if let b = best {
                    if p.prunedBlockFraction > b.prunedBlockFraction
                        || (p.prunedBlockFraction == b.prunedBlockFraction && value(p) < value(b)) { best = p }
                } else {
                    best = p
                }
            }
            guard let b = best else {
                let withinBudget = points.contains { $0.blockSize == size && value($0) <= budget }
                let reason = withinBudget
                    ? "no point with block size \(size) and \(metric) ≤ \(budget) prunes anything (prunedBlockFraction 0; "
                        + "a block size ≥ the token count leaves each query one block, which is never pruned)"
                    : "no point with block size \(size) has \(metric) ≤ \(budget)"
                return Recommendation(blockSize: size, metric: metric, budget: budget, point: nil, reason: reason)
            }
            return Recommendation(blockSize: size, metric: metric, budget: budget,
                                  point: RecommendedPoint(selection: b.selection, threshold: b.threshold,
                                                          prunedBlockFraction: b.prunedBlockFraction, value: value(b)),
                                  reason: nil)
        }
    }
}
