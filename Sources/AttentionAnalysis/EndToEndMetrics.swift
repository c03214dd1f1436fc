import Foundation
import Kernels

/// How much a pruned forward pass changed the model's output, from its logits.
///
/// `nll*` and `perplexity*` are `nil` (encoded as JSON `null`) when `T = 1`: there is no next
/// token to predict.
public struct EndToEndMetrics: Codable, Equatable, Sendable {
    /// Mean over positions of `KL(softmax(z_full) ‖ softmax(z_pruned))`, nats.
    public var outputKL: Double
    /// Share of positions whose argmax (first index on ties) is the same in both runs.
    public var top1Agreement: Double
    /// Mean next-token negative log-likelihood of the dense run over positions `0..T−2`, nats.
    public var nllFull: Double?
    /// The same for the pruned run, nats.
    public var nllPruned: Double?
    /// `exp(nllFull)`.
    public var perplexityFull: Double?
    /// `exp(nllPruned)`.
    public var perplexityPruned: Double?

    public init(outputKL: Double, top1Agreement: Double, nllFull: Double?, nllPruned: Double?) {
        self.outputKL = outputKL
        self.top1Agreement = top1Agreement
        self.nllFull = nllFull
        self.nllPruned = nllPruned
        perplexityFull = nllFull.map { exp($0) }
        perplexityPruned = nllPruned.map { exp($0) }
    }

    private enum CodingKeys: String, CodingKey {
        case outputKL, top1Agreement, nllFull, nllPruned, perplexityFull, perplexityPruned
    }

    /// Writes `null` for absent NLL and perplexity rather than leaving the keys out.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(outputKL, forKey: .outputKL)
        try c.encode(top1Agreement, forKey: .top1Agreement)
        try c.encode(nllFull, forKey: .nllFull)
        try c.encode(nllPruned, forKey: .nllPruned)
        try c.encode(perplexityFull, forKey: .perplexityFull)
        try c.encode(perplexityPruned, forKey: .perplexityPruned)
    }
}

/// Per-position summary of a logits row: its max, log-sum-exp and argmax.
struct LogitsRowSummary {
    var argmax = 0
    var maximum: Float = 0
    /// `ln Σ_v exp(z_v)`, Float64.
    var logSumExp = 0.0
    /// Every entry of the row is finite (else the other members mean nothing).
    var isFinite = true
}

/// The dense run's logits, summarised once per request, compared with each pruned run.
///
/// Holds the dense logits `(T, V)` (a copy of the array, shared copy-on-write).
/// - Important: `compare` may be called from any thread; it uses `threadCount` threads itself.
public struct DenseLogitsReference: Sendable {
    public let tokens: [Int]
    public let vocabularySize: Int
    let logits: [Float]
    let rows: [LogitsRowSummary]
    /// Per position the indices of the `topK` largest logits (the init's `topK`, at most V),
    /// largest first, ties by lower index first; empty rows when `topK` is 0.
    let topTokens: [[Int]]
    /// How many top tokens per position `topTokens` holds.
    let topK: Int
    public let threadCount: Int

    /// Summarises every row in two reads of it: max, argmax, finiteness and (with `topK`) the
    /// top tokens in the first (`scanRow`), the log-sum-exp in Float64 in the second.
    ///
    /// - Parameters:
    ///   - logits: the dense run's logits `(T, V)`, row-major.
    ///   - tokens: the input tokens (`T` of them); position `t` predicts `tokens[t + 1]`.
    ///   - topK: top tokens to find per position in the same pass (for `predictions(topK:)`), 0…V
    ///     (larger is taken as V).
    /// - Throws: `NonFiniteLogits` (the first non-finite logit) when `logits` holds NaN or an
    ///   infinity; `AnalysisError` for shapes and tokens out of range.
    public init(logits: [Float], tokens: [Int], vocabularySize: Int, threadCount: Int = ParallelChunks.defaultThreads,
                topK: Int = 0) throws {
        guard vocabularySize >= 1 else {
            throw AnalysisError.invalidDimension(field: "vocabularySize", value: vocabularySize, accepted: "an integer ≥ 1")
        }
        guard !tokens.isEmpty else { throw AnalysisError.emptyList(field: "tokens") }
        guard logits.count == tokens.count * vocabularySize else {
            throw AnalysisError.logitsShapeMismatch(field: "logits (T, V)", expected: tokens.count * vocabularySize,
                                                    actual: logits.count)
        }
        for (i, token) in tokens.enumerated() where token < 0 || token >= vocabularySize {
            throw AnalysisError.invalidDimension(field: "tokens[\(i)]", value: token, accepted: "0..<\(vocabularySize)")
        }
        self.logits = logits
        self.tokens = tokens
        self.vocabularySize = vocabularySize
        self.threadCount = max(1, threadCount)
        self.topK = max(0, min(topK, vocabularySize))
        (rows, topTokens) = try summarizeRows(logits, positions: tokens.count, vocabularySize: vocabularySize,
                                              topK: self.topK, threads: self.threadCount)
    }

    /// Mean next-token NLL of the dense run (nats); nil when `T = 1`.
    public var nll: Double? { meanNextTokenNLL(logits, rows: rows, tokens: tokens, vocabularySize: vocabularySize) }

    /// Compares a pruned run's logits `(T, V)` with the dense run's.
    ///
    /// Per position two passes over the pruned row: its max, argmax and finiteness, then one
    /// pass reading both rows for `Σ exp(y − max y)` and `Σ softmax(z)·(z − y)` (see
    /// `comparePosition`). Positions are dealt to `threadCount` threads in small chunks, taken
    /// as threads free up.
    /// - Throws: `NonFiniteLogits` (the first non-finite pruned logit) when `prunedLogits` holds
    ///   NaN or an infinity, so the caller need not scan them first.
    public func compare(prunedLogits: [Float]) throws -> EndToEndMetrics {
        let t = tokens.count, v = vocabularySize
        guard prunedLogits.count == t * v else {
            throw AnalysisError.logitsShapeMismatch(field: "pruned logits (T, V)", expected: t * v, actual: prunedLogits.count)
        }
        var pruned = [LogitsRowSummary](repeating: LogitsRowSummary(), count: t)
        var perPositionKL = [Double](repeating: 0, count: t)
        try logits.withUnsafeBufferPointer { full in
            try prunedLogits.withUnsafeBufferPointer { part in
                perPositionKL.withUnsafeMutableBufferPointer { out in
                    pruned.withUnsafeMutableBufferPointer { prunedRows in
                        let fullBase = full.baseAddress!, partBase = part.baseAddress!
                        let outBase = out.baseAddress!, prunedBase = prunedRows.baseAddress!
                        forEachPositionChunk(positions: t, threads: threadCount) { position in
                            let result = comparePosition(full: fullBase + position * v, pruned: partBase + position * v,
                                                         count: v, fullRow: rows[position])
                            outBase[position] = result.kl
                            prunedBase[position] = result.prunedRow
                        }
                    }
                }
                if pruned.contains(where: { !$0.isFinite }), let first = firstNonFinite(part) { throw first }
            }
        }
        var agree = 0
        for i in 0..<t where rows[i].argmax == pruned[i].argmax { agree += 1 }
        return EndToEndMetrics(
            outputKL: perPositionKL.reduce(0, +) / Double(t),
            top1Agreement: Double(agree) / Double(t),
            nllFull: nll,
            nllPruned: meanNextTokenNLL(prunedLogits, rows: pruned, tokens: tokens, vocabularySize: v))
    }
}

/// Positions per chunk handed to a thread (a chunk is ~4 × 2V exponentials, a few hundred µs).
private let positionsPerChunk = 4

/// Runs `body(position)` for `0..<positions`, chunks of `positionsPerChunk` taken by `threads`
/// threads as they free up (balanced on a shared, noisy machine). `body` writes only its position.
func forEachPositionChunk(positions: Int, threads: Int, _ body: (_ position: Int) -> Void) {
    let chunks = (positions + positionsPerChunk - 1) / positionsPerChunk
    ParallelChunks.run(chunks: chunks, threads: threads) { _, chunk in
        for position in (chunk * positionsPerChunk)..<min(chunk * positionsPerChunk + positionsPerChunk, positions) {
            body(position)
        }
    }
}

/// One position: the pruned row `y`'s summary and `KL(softmax(z) ‖ softmax(y))` in nats,
/// `Σ_v p_v (z_v − y_v) − (lse(z) − lse(y))` with `p = softmax(z)`.
///
/// After `y`'s max, one pass reads `z` and `y` once for both `Σ exp(y − max y)` (summed exactly
/// as `summarizeRow` sums, so identical rows give identical log-sum-exps and a KL of exactly 0)
/// and `Σ exp(z − lse z)(z − y)`.
func comparePosition(full z: UnsafePointer<Float>, pruned y: UnsafePointer<Float>, count v: Int,
                             fullRow: LogitsRowSummary) -> (kl: Double, prunedRow: LogitsRowSummary) {
    let scan = scanRow(y, count: v, topK: 0)
    let maxY = scan.maximum
    let lseZ = fullRow.logSumExp, maxYD = Double(maxY)
    var sum8 = SIMD8<Double>(repeating: 0), acc8 = SIMD8<Double>(repeating: 0)
    var k = 0
    while k + 8 <= v {
        let zk = loadEightAsDouble(z + k), yk = loadEightAsDouble(y + k)
        sum8 += vectorExpNonPositive(yk - maxYD)
        acc8 = acc8.addingProduct(vectorExpNonPositive(zk - lseZ), zk - yk)
        k += 8
    }
    var sum = laneSum(sum8), acc = laneSum(acc8)
    while k < v {
        let zk = Double(z[k]), yk = Double(y[k])
        sum += exp(yk - maxYD)
        acc += exp(zk - lseZ) * (zk - yk)
        k += 1
    }
    let row = LogitsRowSummary(argmax: scan.argmax, maximum: maxY, logSumExp: maxYD + log(sum), isFinite: scan.isFinite)
    return (acc - (lseZ - row.logSumExp), row)
}

/// Max, argmax (first on ties), log-sum-exp and the `topK` largest indices of every row of
/// `(T, V)` logits; throws `NonFiniteLogits` when a row holds NaN or an infinity.
private func summarizeRows(_ logits: [Float], positions t: Int, vocabularySize v: Int, topK k: Int,
                           threads: Int) throws -> ([LogitsRowSummary], [[Int]]) {
    var rows = [LogitsRowSummary](repeating: LogitsRowSummary(), count: t)
    var top = [[Int]](repeating: [], count: t)
    try logits.withUnsafeBufferPointer { all in
        rows.withUnsafeMutableBufferPointer { out in
            top.withUnsafeMutableBufferPointer { topOut in
                let base = all.baseAddress!, outBase = out.baseAddress!, topBase = topOut.baseAddress!
                forEachPositionChunk(positions: t, threads: threads) { position in
                    (outBase[position], topBase[position]) = summarizeRow(base + position * v, count: v, topK: k)
                }
            }
        }
        if rows.contains(where: { !$0.isFinite }), let first = firstNonFinite(all) { throw first }
    }
    return (rows, top)
}

private func summarizeRow(_ z: UnsafePointer<Float>, count v: Int, topK k: Int) -> (LogitsRowSummary, [Int]) {
    let scan = scanRow(z, count: v, topK: k)
    let md = Double(scan.maximum)
    var s8 = SIMD8<Double>(repeating: 0)
    var i = 0
    while i + 8 <= v {
        s8 += vectorExpNonPositive(loadEightAsDouble(z + i) - md)
        i += 8
    }
    var s = laneSum(s8)
    while i < v { s += exp(Double(z[i]) - md); i += 1 }
    return (LogitsRowSummary(argmax: scan.argmax, maximum: scan.maximum, logSumExp: md + log(s), isFinite: scan.isFinite),
            scan.top)
}

/// Mean over positions `0..T−2` of `lse − z[tokens[t+1]]`, nats; nil when `T = 1`.
private func meanNextTokenNLL(_ logits: [Float], rows: [LogitsRowSummary], tokens: [Int], vocabularySize v: Int) -> Double? {
    guard tokens.count > 1 else { return nil }
    var total = 0.0
    for t in 0..<(tokens.count - 1) {
        total += rows[t].logSumExp - Double(logits[t * v + tokens[t + 1]])
    }
    return total / Double(tokens.count - 1)
}
