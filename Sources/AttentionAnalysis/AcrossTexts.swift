import Foundation

/// A mean across texts with its 95% confidence interval (Student t, `n − 1` degrees of freedom).
///
/// With one text the interval is undefined: `lower`/`upper` are `null` and `mean` is that
/// text's value. Encoded with explicit `null`s.
public struct MeanInterval: Codable, Equatable, Sendable {
    public var mean: Double
    /// `mean − t·s/√n`, nil when `n < 2`.
    public var lower: Double?
    /// `mean + t·s/√n`, nil when `n < 2`.
    public var upper: Double?
    /// Texts the mean is over.
    public var n: Int

    public init(mean: Double, lower: Double?, upper: Double?, n: Int) {
        self.mean = mean
        self.lower = lower
        self.upper = upper
        self.n = n
    }

    /// Mean and 95% interval of `values`; nil when `values` is empty.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let n = values.count
        let mean = values.reduce(0, +) / Double(n)
        guard n >= 2 else {
            self.init(mean: mean, lower: nil, upper: nil, n: 1)
            return
        }
        var squares = 0.0
        for v in values { squares += (v - mean) * (v - mean) }
        let half = studentT975(degreesOfFreedom: n - 1) * (squares / Double(n - 1)).squareRoot() / Double(n).squareRoot()
        self.init(mean: mean, lower: mean - half, upper: mean + half, n: n)
    }

    /// For lists known to be non-empty (an empty one gives `n = 0`, mean 0).
    init(of values: [Double]) {
        self = MeanInterval(values) ?? MeanInterval(mean: 0, lower: nil, upper: nil, n: 0)
    }

    private enum CodingKeys: String, CodingKey { case mean, lower, upper, n }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mean, forKey: .mean)
        try c.encode(lower, forKey: .lower)
        try c.encode(upper, forKey: .upper)
        try c.encode(n, forKey: .n)
    }
}

/// The 0.975 quantile of Student's t with `dof ≥ 1` degrees of freedom (two-sided 95%).
///
/// Tabulated for 1…30 (to 6 decimals); above 30 the Cornish–Fisher expansion around the
/// normal quantile, accurate to better than 1e-5.
public func studentT975(degreesOfFreedom dof: Int) -> Double {
    let table: [Double] = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
        2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
        2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
    ]
    precondition(dof >= 1, "degrees of freedom must be ≥ 1")
    if dof <= table.count { return table[dof - 1] }
    let z = 1.959_963_984_540_054, v = Double(dof)
    let z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z, z9 = z7 * z * z
    return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v)
        + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v)
        + (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92_160 * v * v * v * v)
}

/// One sweep point over many texts: each metric's mean and 95% interval.
public struct SweepPointSummary: Codable, Equatable, Sendable {
    public var selection: SelectionRule
    public var blockSize: Int
    public var threshold: Double
    public var prunedBlockFraction: MeanInterval
    public var seedPrunedFraction: MeanInterval
    public var prunedMass: MeanInterval
    /// nats
    public var attentionKL: MeanInterval
    /// nats (the notebook's clamped number)
    public var seedKL: MeanInterval
    public var fullyPrunedRows: MeanInterval
    public var endToEnd: EndToEndSummary?
}

/// End-to-end metrics over many texts; NLL and perplexity over the texts with `T > 1` (nil if none).
public struct EndToEndSummary: Codable, Equatable, Sendable {
    public var outputKL: MeanInterval
    public var top1Agreement: MeanInterval
    public var nllFull: MeanInterval?
    public var nllPruned: MeanInterval?
    public var perplexityFull: MeanInterval?
    public var perplexityPruned: MeanInterval?
}

/// One head's profile over many texts.
public struct ProfileHeadSummary: Codable, Equatable, Sendable {
    public var layer: Int
    public var head: Int
    public var entrySparsity: MeanInterval
    public var entrySparsitySeed: MeanInterval
    /// nats
    public var entropy: MeanInterval
    public var sinkMass: MeanInterval
    public var localMass: MeanInterval
    public var blocks: [BlockFractionSummary]
    public var coverage: CoverageSummary
    // Head roles (§11), when every text's head carries them; `role` and `streamingHead` are
    // decided from the means, `inductionScore` is the request's one measurement.
    public var sinkScore: MeanInterval?
    public var localScore: MeanInterval?
    public var previousTokenScore: MeanInterval?
    public var duplicateTokenScore: MeanInterval?
    public var inductionScore: Double?
    public var streamingMass: MeanInterval?
    public var streamingHead: Bool?
    public var role: HeadRole?

    /// Fills the head-role fields from the texts' heads (same (layer, head) in each).
    mutating func assignRoles(from heads: [ProfileHead], options: HeadRoleOptions) {
        let scores = heads.compactMap { h -> HeadTextScores? in
            guard let s = h.sinkScore, let l = h.localScore, let p = h.previousTokenScore, let d = h.duplicateTokenScore,
                  let m = h.streamingMass else { return nil }
            return HeadTextScores(sinkScore: s, localScore: l, previousTokenScore: p, duplicateTokenScore: d, streamingMass: m)
        }
        guard !scores.isEmpty, scores.count == heads.count else { return }
        func mi(_ f: (HeadTextScores) -> Double) -> MeanInterval { MeanInterval(of: scores.map(f)) }
        sinkScore = mi(\.sinkScore)
        localScore = mi(\.localScore)
        previousTokenScore = mi(\.previousTokenScore)
        duplicateTokenScore = mi(\.duplicateTokenScore)
        streamingMass = mi(\.streamingMass)
        inductionScore = heads[0].inductionScore
        let means = HeadTextScores(sinkScore: sinkScore!.mean, localScore: localScore!.mean,
                                   previousTokenScore: previousTokenScore!.mean, duplicateTokenScore: duplicateTokenScore!.mean,
                                   streamingMass: streamingMass!.mean)
        var decided = heads[0]
        decided.assignRoles(means, induction: inductionScore, options: options)
        streamingHead = decided.streamingHead
        role = decided.role
    }
}

public struct BlockFractionSummary: Codable, Equatable, Sendable {
    public var threshold: Double
    public var fraction: MeanInterval
    public var fractionSeed: MeanInterval
}

public struct CoverageSummary: Codable, Equatable, Sendable {
    public var p90: MeanInterval
    public var p95: MeanInterval
    public var p99: MeanInterval
}

/// Means and 95% intervals across texts (the `texts` form of `pruneSweep` and `profileAttention`).
public enum AcrossTexts {
    /// Combines per-text sweeps (same points in the same order) point by point.
    public static func summarize(sweeps: [[SweepPointResult]]) throws -> [SweepPointSummary] {
        guard let first = sweeps.first else { throw AnalysisError.emptyList(field: "texts") }
        for (i, s) in sweeps.enumerated() {
            let same = s.count == first.count && zip(s, first).allSatisfy {
                $0.selection == $1.selection && $0.blockSize == $1.blockSize && $0.threshold == $1.threshold
            }
            guard same else {
                throw AnalysisError.mismatchedTexts(field: "texts[\(i)]", reason: "its sweep points differ from texts[0]'s")
            }
        }
        return first.indices.map { p in
            let points = sweeps.map { $0[p] }
            func mi(_ f: (SweepPointResult) -> Double) -> MeanInterval { MeanInterval(of: points.map(f)) }
            var e2e: EndToEndSummary?
            let ends = points.compactMap(\.endToEnd)
            if ends.count == points.count {
                e2e = EndToEndSummary(
                    outputKL: MeanInterval(of: ends.map(\.outputKL)), top1Agreement: MeanInterval(of: ends.map(\.top1Agreement)),
                    nllFull: MeanInterval(ends.compactMap(\.nllFull)), nllPruned: MeanInterval(ends.compactMap(\.nllPruned)),
                    perplexityFull: MeanInterval(ends.compactMap(\.perplexityFull)),
                    perplexityPruned: MeanInterval(ends.compactMap(\.perplexityPruned)))
            }
            return SweepPointSummary(
                selection: first[p].selection, blockSize: first[p].blockSize, threshold: first[p].threshold,
                prunedBlockFraction: mi(\.prunedBlockFraction), seedPrunedFraction: mi(\.seedPrunedFraction),
                prunedMass: mi(\.prunedMass), attentionKL: mi(\.attentionKL), seedKL: mi(\.seedKL),
                fullyPrunedRows: mi { Double($0.fullyPrunedRows) }, endToEnd: e2e)
        }
    }

    /// Combines per-text profiles (same layers, heads and thresholds) head by head.
    /// - Parameter roles: decides `role` and `streamingHead` from the means of the head-role
    ///   scores (when the profiles carry them).
    public static func summarize(profiles: [AttentionProfile], roles: HeadRoleOptions = HeadRoleOptions()) throws -> [ProfileHeadSummary] {
        guard let first = profiles.first else { throw AnalysisError.emptyList(field: "texts") }
        let keys = first.layers.flatMap { l in l.heads.map { (l.layer, $0.head, $0.blocks.map(\.threshold)) } }
        for (i, p) in profiles.enumerated() {
            let other = p.layers.flatMap { l in l.heads.map { (l.layer, $0.head, $0.blocks.map(\.threshold)) } }
            guard other.count == keys.count, zip(other, keys).allSatisfy({ $0 == $1 }) else {
                throw AnalysisError.mismatchedTexts(field: "texts[\(i)]", reason: "its layers, heads or thresholds differ from texts[0]'s")
            }
        }
        let flat = profiles.map { $0.layers.flatMap(\.heads) }
        return keys.indices.map { i in
            let heads = flat.map { $0[i] }
            func mi(_ f: (ProfileHead) -> Double) -> MeanInterval { MeanInterval(of: heads.map(f)) }
            var summary = ProfileHeadSummary(
                layer: keys[i].0, head: keys[i].1,
                entrySparsity: mi(\.entrySparsity), entrySparsitySeed: mi(\.entrySparsitySeed), entropy: mi(\.entropy),
                sinkMass: mi(\.sinkMass), localMass: mi(\.localMass),
                blocks: keys[i].2.indices.map { b in
                    BlockFractionSummary(threshold: keys[i].2[b], fraction: mi { $0.blocks[b].fraction },
                                         fractionSeed: mi { $0.blocks[b].fractionSeed })
                },
                coverage: CoverageSummary(p90: mi(\.coverage.p90), p95: mi(\.coverage.p95), p99: mi(\.coverage.p99)))
            summary.assignRoles(from: heads, options: roles)
            return summary
        }
    }
}
