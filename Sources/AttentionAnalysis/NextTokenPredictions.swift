import Kernels

/// What the dense model predicts at one position: its argmax and its `k` most likely tokens
/// with their log-probabilities (nats, Float64: `z_v − lse(z)`).
public struct NextTokenPrediction: Sendable, Equatable {
    public var argmax: Int
    /// Largest first; ties by lower token id first.
    public var top: [(token: Int, logprob: Double)]

    public static func == (a: NextTokenPrediction, b: NextTokenPrediction) -> Bool {
        a.argmax == b.argmax && a.top.map(\.token) == b.top.map(\.token) && a.top.map(\.logprob) == b.top.map(\.logprob)
    }
}

extension DenseLogitsReference {
    /// Per position, the argmax and the `k` most likely tokens, from the row summaries the
    /// reference already holds (one SIMD pass per row for its log-sum-exp, done at init).
    ///
    /// Cost: none beyond the log-probabilities when `k` is at most the init's `topK` (the top
    /// tokens were found in the init's row pass); otherwise one more read of each row (a
    /// compare per entry against the k-th best so far), positions dealt to `threadCount` threads.
    /// - Parameter k: 0…V.
    public func predictions(topK k: Int) -> [NextTokenPrediction] {
        let t = tokens.count, v = vocabularySize, kk = max(0, min(k, v))
        var out = [NextTokenPrediction](repeating: NextTokenPrediction(argmax: 0, top: []), count: t)
        logits.withUnsafeBufferPointer { all in
            out.withUnsafeMutableBufferPointer { results in
                let base = all.baseAddress!, resultBase = results.baseAddress!
                forEachPositionChunk(positions: t, threads: threadCount) { position in
                    let row = base + position * v
                    let lse = rows[position].logSumExp
                    let indices = kk <= topK ? Array(topTokens[position].prefix(kk)) : largestIndices(row, count: v, k: kk)
                    let top = indices.map { (token: $0, logprob: Double(row[$0]) - lse) }
                    resultBase[position] = NextTokenPrediction(argmax: rows[position].argmax, top: top)
                }
            }
        }
        return out
    }
}
