/// What one attention head does: the head-role scores of `profileAttention` (Protocol/README.md
/// §11 "Head roles"). Pure functions on one head's causal attention `(T, T)` (row-major, row `q`
/// at `a + q·T`, `A[q, k] = 0` for `k > q`) and the input's token ids; every sum is Float64.
///
/// `previousTokenScore`, `duplicateTokenScore` and `inductionPatternScore` are TransformerLens'
/// `detect_head` with its defaults (`error_measure: "mul"`, `exclude_bos: false`,
/// `exclude_current_token: false`): `Σ A ⊙ D / Σ A` for the head kind's 0/1 detection pattern
/// `D`. `inductionStripeScore` is the induction test of TransformerLens' tutorial on a repeated
/// random sequence (`InductionSequence`).
public enum HeadRoles {
    /// Mean over rows of `A[q, 0]`: the mass on the first token.
    public static func sinkScore(_ a: UnsafePointer<Float>, tokens t: Int) -> Double {
        guard t > 0 else { return 0 }
        var sum = 0.0
        for q in 0..<t { sum += Double(a[q * t]) }
        return sum / Double(t)
    }

    /// Mean over rows of the mass on keys `max(0, q − window + 1) … q`: the query and the
    /// `window − 1` tokens before it. - Precondition: `window ≥ 1`.
    public static func localScore(_ a: UnsafePointer<Float>, tokens t: Int, window: Int) -> Double {
        guard t > 0 else { return 0 }
        var sum = 0.0
        for q in 0..<t { sum += rowSum(a + q * t, from: max(0, q - window + 1), through: q) }
        return sum / Double(t)
    }

    /// Mean over rows of the share of the row's mass that a sink of the first `sinkTokens` keys
    /// plus the local window of `window` keys (`q − window + 1 … q`) keep, each key counted once
    /// (DuoAttention's streaming pattern): kept / the row's own sum, as kept mass is (§11), so a
    /// row with `q < sinkTokens + window` keeps exactly 1.
    public static func streamingMass(_ a: UnsafePointer<Float>, tokens t: Int, sinkTokens: Int, window: Int) -> Double {
        streamingMass(a, tokens: t, sinkTokens: sinkTokens, window: window, rowTotals: rowTotals(a, tokens: t))
    }

    /// The same with each row's sum `Σ_{k≤q} A[q,k]` given (`rowTotals(a, tokens:)`).
    static func streamingMass(_ a: UnsafePointer<Float>, tokens t: Int, sinkTokens: Int, window: Int, rowTotals: [Double]) -> Double {
        guard t > 0 else { return 0 }
        var sum = 0.0
        for q in 0..<t {
            let row = a + q * t
            let sinkEnd = min(sinkTokens, q + 1)                 // keys 0..<sinkEnd
            let localStart = max(sinkEnd, q - window + 1)        // keys localStart...q
            guard localStart > sinkEnd, rowTotals[q] > 0 else { sum += 1; continue }    // nothing dropped
            let kept = rowSum(row, from: 0, through: sinkEnd - 1) + rowSum(row, from: localStart, through: q)
            sum += min(1, kept / rowTotals[q])
        }
        return sum / Double(t)
    }

    /// `Σ_{k ≤ q} A[q, k]` of every row `q`, Float64.
    static func rowTotals(_ a: UnsafePointer<Float>, tokens t: Int) -> [Double] {
        (0..<t).map { q in rowSum(a + q * t, from: 0, through: q) }
    }

    /// TransformerLens' previous-token score: `D[q, q−1] = 1` for `q ≥ 1`, so
    /// `Σ_{q≥1} A[q, q−1] / Σ A`. A perfect previous-token head scores `(T − 1) / T` (row 0 has
    /// no previous token).
    public static func previousTokenScore(_ a: UnsafePointer<Float>, tokens t: Int) -> Double {
        previousTokenScore(a, tokens: t, total: total(a, tokens: t))
    }

    /// The same with `Σ A` given.
    static func previousTokenScore(_ a: UnsafePointer<Float>, tokens t: Int, total: Double) -> Double {
        var hit = 0.0
        for q in 1..<max(t, 1) { hit += Double(a[q * t + q - 1]) }
        return ratio(hit, total)
    }

    /// TransformerLens' duplicate-token score: `D[q, k] = 1` for `k < q` with
    /// `ids[k] == ids[q]` (earlier copies of the query's own token).
    /// - Precondition: `ids.count == t`.
    public static func duplicateTokenScore(_ a: UnsafePointer<Float>, tokens t: Int, ids: [Int]) -> Double {
        duplicateTokenScore(a, pairs: DuplicatePairs(ids: ids), total: total(a, tokens: t))
    }

    /// The same with the pattern's entries precomputed (shared by every head of one input) and `Σ A` given.
    static func duplicateTokenScore(_ a: UnsafePointer<Float>, pairs: DuplicatePairs, total: Double) -> Double {
        var hit = 0.0
        for offset in pairs.offsets { hit += Double(a[offset]) }
        return ratio(hit, total)
    }

    /// TransformerLens' induction pattern score (`get_induction_head_detection_pattern`): the
    /// duplicate pattern shifted one key right, `D[q, k] = 1` for `1 ≤ k ≤ q` with
    /// `ids[k − 1] == ids[q]` and `k − 1 < q` (the token after an earlier copy of the query's
    /// token; `k = q` when the previous token repeats the query's). Not the daemon's
    /// `inductionScore` (that is `inductionStripeScore`); kept for the reference tests.
    /// - Precondition: `ids.count == t`.
    public static func inductionPatternScore(_ a: UnsafePointer<Float>, tokens t: Int, ids: [Int]) -> Double {
        var hit = 0.0
        for q in 0..<t {
            for k in stride(from: 1, through: q, by: 1) where ids[k - 1] == ids[q] { hit += Double(a[q * t + k]) }
        }
        return ratio(hit, total(a, tokens: t))
    }

    /// The tutorial's induction score on `InductionSequence` (`T = 2n + 1`: BOS, n random ids, the
    /// same n again): the mean of `A[q, q − (n − 1)]` over the second copy's queries
    /// `q = n + 1 … 2n` (each attends to the token after its earlier copy).
    /// - Precondition: `t == 2 * n + 1`, `n ≥ 1`.
    public static func inductionStripeScore(_ a: UnsafePointer<Float>, tokens t: Int, repeatLength n: Int) -> Double {
        var sum = 0.0
        for q in (n + 1)...(2 * n) { sum += Double(a[q * t + q - (n - 1)]) }
        return sum / Double(n)
    }

    /// `Σ_{k = from … through} row[k]` (0 when empty), eight lanes at a time.
    private static func rowSum(_ row: UnsafePointer<Float>, from: Int, through: Int) -> Double {
        guard from <= through else { return 0 }
        var lanes = SIMD8<Double>(repeating: 0)
        var k = from
        while k + 8 <= through + 1 {
            lanes += loadEightAsDouble(row + k)
            k += 8
        }
        var s = laneSum(lanes)
        while k <= through {
            s += Double(row[k])
            k += 1
        }
        return s
    }

    /// `Σ_q Σ_{k ≤ q} A[q, k]`: TransformerLens' denominator `attention_pattern.sum()` (the
    /// future entries are 0).
    private static func total(_ a: UnsafePointer<Float>, tokens t: Int) -> Double {
        rowTotals(a, tokens: t).reduce(0, +)
    }

    private static func ratio(_ hit: Double, _ total: Double) -> Double { total > 0 ? hit / total : 0 }
}

/// The label `role` of a head, from its scores (§11): the largest of `induction`,
/// `duplicateToken`, `previousToken`, `sink` that reaches the role threshold (ties in that
/// order); else `local` when `localScore` reaches it; else `diffuse`.
public enum HeadRole: String, Codable, CaseIterable, Sendable {
    case induction, duplicateToken, previousToken, sink, local, diffuse

    /// - Parameter induction: nil when not measured (the head then cannot be `induction`).
    public static func decide(induction: Double?, duplicateToken: Double, previousToken: Double, sink: Double,
                              local: Double, threshold: Double) -> HeadRole {
        let named: [(HeadRole, Double)] = [(.induction, induction ?? -1), (.duplicateToken, duplicateToken),
                                           (.previousToken, previousToken), (.sink, sink)]
        var best: (HeadRole, Double)?
        for candidate in named where candidate.1 >= threshold && candidate.1 > (best?.1 ?? -.infinity) { best = candidate }
        if let best { return best.0 }
        return local >= threshold ? .local : .diffuse
    }
}

/// Settings of the head-role scores (defaults and ranges as in Protocol/README.md §10).
public struct HeadRoleOptions: Hashable, Sendable {
    /// `localScore`'s window, tokens (≥ 1).
    public var localWindow: Int = 4
    /// `streamingMass`'s sink, tokens (≥ 0).
    public var streamingSinkTokens: Int = 4
    /// `streamingMass`'s local window, tokens (≥ 1).
    public var streamingWindow: Int = 64
    /// `streamingHead` when `streamingMass ≥ streamingMinMass`, in (0, 1].
    public var streamingMinMass: Double = 0.9
    /// The score a named role needs, in (0, 1].
    public var roleThreshold: Double = 0.4

    public init(localWindow: Int = 4, streamingSinkTokens: Int = 4, streamingWindow: Int = 64,
                streamingMinMass: Double = 0.9, roleThreshold: Double = 0.4) {
        self.localWindow = localWindow
        self.streamingSinkTokens = streamingSinkTokens
        self.streamingWindow = streamingWindow
        self.streamingMinMass = streamingMinMass
        self.roleThreshold = roleThreshold
    }

    func validate() throws {
        guard localWindow >= 1 else {
            throw AnalysisError.invalidDimension(field: "localWindow", value: localWindow, accepted: "an integer ≥ 1 (tokens)")
        }
        guard streamingSinkTokens >= 0 else {
            throw AnalysisError.invalidDimension(field: "streamingSinkTokens", value: streamingSinkTokens, accepted: "an integer ≥ 0 (tokens)")
        }
        guard streamingWindow >= 1 else {
            throw AnalysisError.invalidDimension(field: "streamingWindow", value: streamingWindow, accepted: "an integer ≥ 1 (tokens)")
        }
        for (field, v) in [("streamingMinMass", streamingMinMass), ("roleThreshold", roleThreshold)] where !(v > 0 && v <= 1) {
            throw AnalysisError.invalidValue(field: field, value: v, accepted: "a number in (0, 1]")
        }
    }
}

/// The scores of one head measured on the request's own text (everything but induction).
public struct HeadTextScores: Codable, Equatable, Sendable {
    public var sinkScore: Double
    public var localScore: Double
    public var previousTokenScore: Double
    public var duplicateTokenScore: Double
    public var streamingMass: Double

    public init(sinkScore: Double, localScore: Double, previousTokenScore: Double, duplicateTokenScore: Double,
                streamingMass: Double) {
        self.sinkScore = sinkScore
        self.localScore = localScore
        self.previousTokenScore = previousTokenScore
        self.duplicateTokenScore = duplicateTokenScore
        self.streamingMass = streamingMass
    }

    /// The scores of head attention `(T, T)` at `a` for token ids `ids` (`ids.count == t`).
    public init(_ a: UnsafePointer<Float>, tokens t: Int, ids: [Int], options: HeadRoleOptions) {
        self.init(a, tokens: t, pairs: DuplicatePairs(ids: ids), options: options)
    }

    /// One pass over the visible entries (the row sums), the rest over the patterns' entries.
    init(_ a: UnsafePointer<Float>, tokens t: Int, pairs: DuplicatePairs, options: HeadRoleOptions) {
        let rows = HeadRoles.rowTotals(a, tokens: t)
        let total = rows.reduce(0, +)
        self.init(sinkScore: HeadRoles.sinkScore(a, tokens: t),
                  localScore: HeadRoles.localScore(a, tokens: t, window: options.localWindow),
                  previousTokenScore: HeadRoles.previousTokenScore(a, tokens: t, total: total),
                  duplicateTokenScore: HeadRoles.duplicateTokenScore(a, pairs: pairs, total: total),
                  streamingMass: HeadRoles.streamingMass(a, tokens: t, sinkTokens: options.streamingSinkTokens,
                                                         window: options.streamingWindow, rowTotals: rows))
    }
}

/// The entries `q·T + k` of the duplicate-token pattern (`k < q`, `ids[k] == ids[q]`), in row order.
struct DuplicatePairs: Sendable {
    let offsets: [Int]

    init(ids: [Int]) {
        let t = ids.count
        var earlier: [Int: [Int]] = [:]   // id → its positions so far
        var offsets: [Int] = []
        for q in 0..<t {
            for k in earlier[ids[q], default: []] { offsets.append(q * t + k) }
            earlier[ids[q], default: []].append(q)
        }
        self.offsets = offsets
    }
}

/// The repeated random token sequence of the induction test: BOS, `length` ids drawn by
/// SplitMix64 from `seed`, the same `length` ids again (`T = 2·length + 1`).
///
/// SplitMix64 (Steele, Lea, Flood 2014): state `s = seed`; each draw does
/// `s = s &+ 0x9E3779B97F4A7C15; z = s; z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9;
/// z = (z ^ (z >> 27)) &* 0x94D049BB133111EB; z ^ (z >> 31)` (64-bit unsigned, wrapping), and
/// the id is `z mod vocabSize`.
public enum InductionSequence {
    public static func tokens(seed: UInt64, length: Int, vocabSize: Int, bos: Int) -> [Int] {
        var state = seed
        let random = (0..<length).map { _ -> Int in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Int(z % UInt64(vocabSize))
        }
        return [bos] + random + random
    }
}

/// Induction scores of every head from one forward pass over `InductionSequence`.
/// - Important: `consume` and `result` must not be called concurrently on one instance.
public final class InductionAccumulator {
    public let shape: AttentionShape
    /// `n`: the sequence is BOS + n ids + the same n ids.
    public let repeatLength: Int
    /// `(L, H)`
    private var scores: [Double]
    private var seen: [Bool]

    public init(repeatLength: Int, heads: Int, layers: Int) throws {
        guard repeatLength >= 1 else {
            throw AnalysisError.invalidDimension(field: "inductionLength", value: repeatLength, accepted: "an integer ≥ 1 (tokens)")
        }
        shape = try AttentionShape(layers: layers, heads: heads, tokens: 2 * repeatLength + 1)
        self.repeatLength = repeatLength
        scores = Array(repeating: 0, count: layers * heads)
        seen = Array(repeating: false, count: layers)
    }

    /// Scores layer `layer`'s attention `(H, T, T)` on the induction sequence.
    public func consume(layer: Int, attention: UnsafeBufferPointer<Float>) throws {
        try shape.check(layer: layer, attentionCount: attention.count, seen: seen)
        guard let base = attention.baseAddress else { return }
        let t = shape.tokens
        for head in 0..<shape.heads {
            scores[layer * shape.heads + head] = HeadRoles.inductionStripeScore(base + head * t * t, tokens: t,
                                                                                repeatLength: repeatLength)
        }
        seen[layer] = true
    }

    /// `(L, H)` induction scores; throws `missingLayers` unless every layer was consumed.
    public func result() throws -> [Double] {
        try requireAllLayers(seen)
        return scores
    }
}
