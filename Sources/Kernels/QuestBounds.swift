/// Quest's per-tile scores for one head, 16 key blocks per vector: the hot loop behind the
/// `quest` estimator (AttentionAnalysis defines it; Protocol/README.md §11).
public enum QuestBounds {
    /// Writes `out[i·Nk + j]` = `max_{q∈i} ŵ(q, j)` for the visible tiles of `geometry` (0 for
    /// the others), where `ŵ(q, ·)` = softmax over the key blocks visible to q's query block of
    /// `scale · u(q, j)` and `u(q, j) = Σ_c max(q_c·M_j[c], q_c·m_j[c]) = q⁺·M_j + q⁻·m_j`, with
    /// `M_j`, `m_j` the channel-wise max and min of the keys of block j.
    ///
    /// - Parameters:
    ///   - qk: Q, K (T, D); `T == geometry.tokens`.
    ///   - out: (Nq, Nk) floats.
    /// One call on the caller's thread; allocates its own small scratch (≈ 2·D·⌈Nk/16⌉·16 floats).
    public static func tileScores(_ qk: HeadQueriesKeys, geometry g: TileGeometry, scale: Float,
                                  out: UnsafeMutablePointer<Float>) {
        let d = qk.headDim, nk = g.keyBlocks, lanes = (nk + 15) / 16 * 16
        // Channel-major ranges (D, lanes): high[c·lanes + j] = M_j[c], low = m_j[c]; padding 0.
        let high = AlignedFloats(count: d * lanes), low = AlignedFloats(count: d * lanes)
        for j in 0..<nk {
            let keys = g.keys(ofBlock: j)
            // 16 channels at a time over the block's keys: the rows' loads are independent, so
            // many are in flight at once (rows are 3C floats apart: mostly cache misses).
            var c = 0
            while c < d {
                let n = min(16, d - c)
                var hi = Vec16(repeating: -.infinity), lo = Vec16(repeating: .infinity)
                for k in keys {
                    let x = loadVec(qk.key(k) + c, count: n)
                    hi = hi.replacing(with: x, where: x .> hi)
                    lo = lo.replacing(with: x, where: x .< lo)
                }
                for lane in 0..<n {
                    high.base[(c + lane) * lanes + j] = hi[lane]
                    low.base[(c + lane) * lanes + j] = lo[lane]
                }
                c += 16
            }
        }
        out.update(repeating: 0, count: g.queryBlocks * nk)
        let logits = AlignedFloats(count: 4 * lanes)               // (4, lanes) four queries' ŵ
        let split = AlignedFloats(count: 4 * 2 * d)                 // (4, 2D) four queries' q⁺ | q⁻
        for i in 0..<g.queryBlocks {
            let rows = g.queries(ofBlock: i), visible = g.visibleKeyBlocks(queryBlock: i)
            var q0 = rows.lowerBound
            while q0 < rows.upperBound {
                // Four queries at once: their rows are read in parallel and the FMAs interleave.
                let count = min(4, rows.upperBound - q0)
                splitSigns(qk, first: q0, count: count, into: split.base)
                for group in 0..<((visible + 15) / 16) {
                    bounds(split: split.base, headDim: d, count: count, high: high.base + group * 16,
                           low: low.base + group * 16, lanes: lanes, scale: scale, out: logits.base + group * 16)
                }
                for r in 0..<count {
                    softmaxMaximum(logits.base + r * lanes, visible: visible, into: out + i * nk)
                }
                q0 += count
            }
        }
    }

    /// `out[r·lanes + 0..<16] = scale · (q⁺·M + q⁻·m)` for queries `first + r`, r < count ≤ 4, on
    /// the 16 key blocks whose channel ranges start at `high`, `low` (stride `lanes` per channel).
    /// `split` (4, 2D) holds each query's q⁺ then q⁻ (filled by `splitSigns`).
    @inline(__always)
    private static func bounds(split: UnsafePointer<Float>, headDim d: Int, count: Int, high: UnsafePointer<Float>,
                               low: UnsafePointer<Float>, lanes: Int, scale: Float, out: UnsafeMutablePointer<Float>) {
        var acc = (Vec16(), Vec16(), Vec16(), Vec16(), Vec16(), Vec16(), Vec16(), Vec16())
        let w = 2 * d
        var h = high, l = low
        for c in 0..<d {
            let hv = UnsafeRawPointer(h).load(as: Vec16.self), lv = UnsafeRawPointer(l).load(as: Vec16.self)
            // Broadcasts straight from memory (folded into the FMA on AVX-512).
            acc.0.addProduct(Vec16(repeating: split[c]), hv)
            acc.1.addProduct(Vec16(repeating: split[d + c]), lv)
            acc.2.addProduct(Vec16(repeating: split[w + c]), hv)
            acc.3.addProduct(Vec16(repeating: split[w + d + c]), lv)
            acc.4.addProduct(Vec16(repeating: split[2 * w + c]), hv)
            acc.5.addProduct(Vec16(repeating: split[2 * w + d + c]), lv)
            acc.6.addProduct(Vec16(repeating: split[3 * w + c]), hv)
            acc.7.addProduct(Vec16(repeating: split[3 * w + d + c]), lv)
            h += lanes
            l += lanes
        }
        let s = Vec16(repeating: scale)
        storeVec((acc.0 + acc.1) * s, out, count: 16)
        if count > 1 { storeVec((acc.2 + acc.3) * s, out + lanes, count: 16) }
        if count > 2 { storeVec((acc.4 + acc.5) * s, out + 2 * lanes, count: 16) }
        if count > 3 { storeVec((acc.6 + acc.7) * s, out + 3 * lanes, count: 16) }
    }

    /// `split[r·2D ..< r·2D + D] = max(q, 0)`, `split[r·2D + D ..< (r+1)·2D] = min(q, 0)` for
    /// queries `first + r`, r < 4 (rows past `count` repeat the last query).
    @inline(__always)
    private static func splitSigns(_ qk: HeadQueriesKeys, first: Int, count: Int, into split: UnsafeMutablePointer<Float>) {
        let d = qk.headDim
        for r in 0..<4 {
            let query = qk.query(first + min(r, count - 1)), row = split + r * 2 * d
            var c = 0
            while c < d {
                let n = min(16, d - c)
                let x = loadVec(query + c, count: n)
                storeVec(x.replacing(with: 0, where: x .< 0), row + c, count: n)
                storeVec(x.replacing(with: 0, where: x .> 0), row + d + c, count: n)
                c += 16
            }
        }
    }

    /// Softmax of `logits[0..<visible]` (max-shifted), folded into `row[j] = max(row[j], ŵ_j)`.
    @inline(__always)
    private static func softmaxMaximum(_ logits: UnsafeMutablePointer<Float>, visible: Int, into row: UnsafeMutablePointer<Float>) {
        let groups = (visible + 15) / 16
        var maxV = Vec16(repeating: -.infinity)
        for group in 0..<groups {
            let v = loadVec(logits + group * 16, count: 16)
            maxV = maxV.replacing(with: v, where: (v .> maxV) .& .!tailMask(visible - group * 16))
        }
        let top = Vec16(repeating: largestLane(maxV))
        var sumV = Vec16()
        for group in 0..<groups {
            let e = vexp(loadVec(logits + group * 16, count: 16) - top).replacing(with: 0, where: tailMask(visible - group * 16))
            storeVec(e, logits + group * 16, count: 16)
            sumV += e
        }
        let inv = 1 / laneSumByHalves(sumV)
        for j in 0..<visible { row[j] = Swift.max(row[j], logits[j] * inv) }
    }
}

/// Σ of 16 lanes by halving (Swift's generic `sum()` is not specialised into vector adds).
@inline(__always)
private func laneSumByHalves(_ v: Vec16) -> Float {
    let h8 = v.lowHalf + v.highHalf
    let h4 = h8.lowHalf + h8.highHalf
    let h2 = h4.lowHalf + h4.highHalf
    return h2[0] + h2[1]
}
