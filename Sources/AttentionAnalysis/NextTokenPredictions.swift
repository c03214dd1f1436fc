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
    /// Cost: one more read of each row (a compare per entry against the k-th best so far);
    /// positions are dealt to `threadCount` threads.
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
                    let top = largestIndices(row, count: v, k: kk).map { (token: $0, logprob: Double(row[$0]) - lse) }
                    resultBase[position] = NextTokenPrediction(argmax: rows[position].argmax, top: top)
                }
            }
        }
        return out
    }
}

/// Indices of the `k` largest of `z[0..<v]`, largest first, ties by lower index first.
/// An entry is looked at closely only when it beats the current k-th best.
func largestIndices(_ z: UnsafePointer<Float>, count v: Int, k: Int) -> [Int] {
    guard k > 0 else { return [] }
    var best: [Int] = []
    best.reserveCapacity(k + 1)
    var floor = -Float.infinity   // the k-th best value once `best` is full
    for i in 0..<v {
        let x = z[i]
        if best.count == k && !(x > floor) { continue }
        var position = best.count
        while position > 0 && z[best[position - 1]] < x { position -= 1 }
        best.insert(i, at: position)
        if best.count > k { best.removeLast() }
        if best.count == k { floor = z[best[k - 1]] }
    }
    return best
}
