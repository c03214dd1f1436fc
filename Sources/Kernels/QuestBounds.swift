/// Quest's per-tile scores for one head: the hot loop behind the `quest` estimator (AttentionAnalysis
/// defines it; Protocol/README.md §11).
///
/// Where the time goes (GPT-2 small head, T = 1024, Bq = Bk = 64, one thread; Benchmarks/README.md):
/// the bounds are ≈ 60 %, the per-query softmax ≈ 30 %, the channel min/max pass over K ≈ 8 %.
/// Three choices make it cheap:
/// - `q_c · M_j[c]` and `q_c · m_j[c]` are never both needed: the larger is the one whose range
///   end has q_c's sign, so `u(q, j) = Σ_c q_c · (q_c < 0 ? m_j[c] : M_j[c])` — one FMA per channel
///   and 16 key blocks, the range row picked by q_c's sign bit (D multiply-adds per pair, not 2D);
/// - a pass over key blocks whose visible lanes fit in 8 uses 8-lane vectors (half the loads);
/// - the softmax stays in vectors: invisible lanes set to −∞ by one precomputed mask, the tile
///   maxima kept in one vector row per query block.
public enum QuestBounds {
    /// Writes `out[i·Nk + j]` = `max_{q∈i} ŵ(q, j)` for the visible tiles of `geometry` (0 for
    /// the others), where `ŵ(q, ·)` = softmax over the key blocks visible to q's query block of
    /// `scale · u(q, j)` and `u(q, j) = Σ_c max(q_c·M_j[c], q_c·m_j[c]) = q⁺·M_j + q⁻·m_j`, with
    /// `M_j`, `m_j` the channel-wise max and min of the keys of block j. Float32 throughout; u is
    /// summed over channels in order (c = 0, 1, …), one product per channel.
    ///
    /// - Parameters:
    ///   - qk: Q, K (T, D); `T == geometry.tokens`.
    ///   - out: (Nq, Nk) floats.
    /// One call on the caller's thread; allocates its own small scratch (≈ 2·D·L + 10·L floats,
    /// L = Nk rounded up to a power of two ≥ 16).
    public static func tileScores(_ qk: HeadQueriesKeys, geometry g: TileGeometry, scale: Float,
                                  out: UnsafeMutablePointer<Float>) {
        let d = qk.headDim, nk = g.keyBlocks
        let lanes = 1 << (Int.bitWidth - (Swift.max(nk, 16) - 1).leadingZeroBitCount)   // power of two ≥ Nk, ≥ 16
        let ranges = AlignedFloats(count: 2 * d * lanes)            // (D, 2, lanes): M_j[c] | m_j[c]; padding 0
        channelRanges(qk, geometry: g, lanes: lanes, into: ranges.base)
        out.update(repeating: 0, count: g.queryBlocks * nk)
        let logits = AlignedFloats(count: 8 * lanes)                // (8, lanes) eight queries' scaled bounds
        let tile = AlignedFloats(count: lanes)                      // (lanes) max over the block's queries of ŵ
        for i in 0..<g.queryBlocks {
            let rows = g.queries(ofBlock: i), visible = g.visibleKeyBlocks(queryBlock: i)
            let groups = (visible + 15) / 16, hidden = tailMask(visible - (groups - 1) * 16)
            tile.base.update(repeating: 0, count: lanes)
            var q0 = rows.lowerBound
            while q0 < rows.upperBound {
                let count = Swift.min(8, rows.upperBound - q0)
                for group in 0..<groups {
                    let range = ranges.base + group * 16, o = logits.base + group * 16
                    if visible - group * 16 <= 8 {
                        bounds(SIMD8<Float>.self, qk, first: q0, count: count, ranges: range, lanes: lanes, scale: scale, out: o)
                    } else {
                        bounds(Vec16.self, qk, first: q0, count: count, ranges: range, lanes: lanes, scale: scale, out: o)
                    }
                }
                for r in 0..<count {
                    softmaxMaximum(logits.base + r * lanes, visible: visible, hidden: hidden, into: tile.base)
                }
                q0 += count
            }
            (out + i * nk).update(from: tile.base, count: visible)
        }
    }

    /// `ranges[(2c)·lanes + j] = M_j[c]`, `ranges[(2c + 1)·lanes + j] = m_j[c]` for every key block j.
    private static func channelRanges(_ qk: HeadQueriesKeys, geometry g: TileGeometry, lanes: Int,
                                      into ranges: UnsafeMutablePointer<Float>) {
        let d = qk.headDim
        for j in 0..<g.keyBlocks {
            let keys = g.keys(ofBlock: j)
            // 16 channels at a time over the block's keys: the rows' loads are independent, so
            // many are in flight at once (rows are 3C floats apart: mostly cache misses).
            var c = 0
            while c < d {
                let n = Swift.min(16, d - c)
                var hi = Vec16(repeating: -.infinity), lo = Vec16(repeating: .infinity)
                for k in keys {
                    let x = loadVec(qk.key(k) + c, count: n)
                    hi = hi.replacing(with: x, where: x .> hi)
                    lo = lo.replacing(with: x, where: x .< lo)
                }
                for lane in 0..<n {
                    ranges[2 * (c + lane) * lanes + j] = hi[lane]
                    ranges[(2 * (c + lane) + 1) * lanes + j] = lo[lane]
                }
                c += 16
            }
        }
    }

    /// `out[r·lanes ..< r·lanes + V.scalarCount] = scale · Σ_c q_c · (q_c < 0 ? m[c] : M[c])` for
    /// queries `first + r`, r < count ≤ 8 (rows past `count` repeat the last query), on the
    /// V.scalarCount key blocks whose ranges start at `ranges` (`2·lanes` floats per channel, m
    /// `lanes` floats after M: a power of two, so q_c's sign bit shifted is the row's offset).
    @inline(__always)
    private static func bounds<V: SIMD>(_: V.Type, _ qk: HeadQueriesKeys, first: Int, count: Int,
                                        ranges: UnsafePointer<Float>, lanes: Int, scale: Float,
                                        out: UnsafeMutablePointer<Float>) where V.Scalar == Float {
        let d = qk.headDim, step = 2 * lanes * 4, lowShift = UInt32((lanes * 4).trailingZeroBitCount)
        let q0 = qk.query(first), q1 = qk.query(first + Swift.min(1, count - 1))
        let q2 = qk.query(first + Swift.min(2, count - 1)), q3 = qk.query(first + Swift.min(3, count - 1))
        let q4 = qk.query(first + Swift.min(4, count - 1)), q5 = qk.query(first + Swift.min(5, count - 1))
        let q6 = qk.query(first + Swift.min(6, count - 1)), q7 = qk.query(first + Swift.min(7, count - 1))
        var a0 = V(), a1 = V(), a2 = V(), a3 = V(), a4 = V(), a5 = V(), a6 = V(), a7 = V()
        var p = UnsafeRawPointer(ranges)
        // The range row q_c's sign picks: shifts, not a select (a select becomes a branch that
        // mispredicts half the time on random signs).
        @inline(__always) func term(_ q: UnsafePointer<Float>, _ c: Int) -> (V, V) {
            let bits = UnsafeRawPointer(q + c).load(as: UInt32.self)
            return (V(repeating: q[c]), p.load(fromByteOffset: Int((bits &>> 31) &<< lowShift), as: V.self))
        }
        for c in 0..<d {
            var t = term(q0, c)
            a0 = a0.addingProduct(t.0, t.1)
            t = term(q1, c)
            a1 = a1.addingProduct(t.0, t.1)
            t = term(q2, c)
            a2 = a2.addingProduct(t.0, t.1)
            t = term(q3, c)
            a3 = a3.addingProduct(t.0, t.1)
            t = term(q4, c)
            a4 = a4.addingProduct(t.0, t.1)
            t = term(q5, c)
            a5 = a5.addingProduct(t.0, t.1)
            t = term(q6, c)
            a6 = a6.addingProduct(t.0, t.1)
            t = term(q7, c)
            a7 = a7.addingProduct(t.0, t.1)
            p += step
        }
        let s = V(repeating: scale), o = UnsafeMutableRawPointer(out), w = lanes * 4
        o.storeBytes(of: a0 * s, as: V.self)
        if count > 1 { o.storeBytes(of: a1 * s, toByteOffset: w, as: V.self) }
        if count > 2 { o.storeBytes(of: a2 * s, toByteOffset: 2 * w, as: V.self) }
        if count > 3 { o.storeBytes(of: a3 * s, toByteOffset: 3 * w, as: V.self) }
        if count > 4 { o.storeBytes(of: a4 * s, toByteOffset: 4 * w, as: V.self) }
        if count > 5 { o.storeBytes(of: a5 * s, toByteOffset: 5 * w, as: V.self) }
        if count > 6 { o.storeBytes(of: a6 * s, toByteOffset: 6 * w, as: V.self) }
        if count > 7 { o.storeBytes(of: a7 * s, toByteOffset: 7 * w, as: V.self) }
    }

    /// Softmax of `logits[0..<visible]` (max-shifted), folded into `tile[j] = max(tile[j], ŵ_j)`.
    /// `hidden` marks the lanes of the last 16-lane group at or past `visible` (their logits may
    /// be stale): they count as −∞, so their exponentials are 0.
    @inline(__always)
    private static func softmaxMaximum(_ logits: UnsafeMutablePointer<Float>, visible: Int,
                                       hidden: SIMDMask<SIMD16<Int32>>, into tile: UnsafeMutablePointer<Float>) {
        let groups = (visible + 15) / 16
        @inline(__always) func load(_ group: Int) -> Vec16 {
            let v = UnsafeRawPointer(logits + group * 16).load(as: Vec16.self)
            return group == groups - 1 ? v.replacing(with: -.infinity, where: hidden) : v
        }
        var maxV = Vec16(repeating: -.infinity)
        for group in 0..<groups { maxV = lanewiseMax(maxV, load(group)) }
        let top = Vec16(repeating: largestLane(maxV))
        var sumV = Vec16()
        for group in 0..<groups {
            let e = vexp(load(group) - top)
            UnsafeMutableRawPointer(logits + group * 16).storeBytes(of: e, as: Vec16.self)
            sumV += e
        }
        let inv = Vec16(repeating: 1 / laneSumByHalves(sumV))
        for group in 0..<groups {
            let e = UnsafeRawPointer(logits + group * 16).load(as: Vec16.self) * inv
            let t = UnsafeMutableRawPointer(tile + group * 16)
            t.storeBytes(of: lanewiseMax(t.load(as: Vec16.self), e), as: Vec16.self)
        }
    }
}

/// The larger of each lane pair (a compare and a blend; the standard library's `pointwiseMax`
/// lowers to a scalar loop with a branch per lane).
@inline(__always)
private func lanewiseMax(_ a: Vec16, _ b: Vec16) -> Vec16 { a.replacing(with: b, where: b .> a) }

/// Σ of 16 lanes by halving (Swift's generic `sum()` is not specialised into vector adds).
@inline(__always)
private func laneSumByHalves(_ v: Vec16) -> Float {
    let h8 = v.lowHalf + v.highHalf
    let h4 = h8.lowHalf + h8.highHalf
    let h2 = h4.lowHalf + h4.highHalf
    return h2[0] + h2[1]
}
