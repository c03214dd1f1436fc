/// The two per-head matrix products of causal self-attention, built on the GEMM micro-kernels:
/// scores → probabilities (Q·Kᵀ, scale, causal softmax) and probabilities · V.
///
/// Both skip the work the causal mask makes pointless: score tiles wholly above the diagonal are
/// never computed, and a query row block multiplies only the keys it can see. One call handles
/// one head on the caller's thread; callers run heads in parallel with their own scratch.
public enum CausalAttentionKernels {
    /// Floats of scratch one call needs for `tokens` T and `headDim` D.
    public static func scratchCount(tokens: Int, headDim: Int) -> Int {
        max(packedBCount(k: headDim, n: tokens), packedBCount(k: tokens, n: headDim)) + gemmMR * Gemm.paddedStride
    }

    /// probs (T, T) = causal softmax(scale · Q Kᵀ): row q holds probabilities over keys 0…q and
    /// exact zeros after q.
    ///
    /// - Parameters:
    ///   - q: Q (T, D), row `t` at `q + t * ld`.
    ///   - k: K (T, D), row `t` at `k + t * ld`.
    ///   - probs: (T, T), row stride T.
    ///   - scratch: `scratchCount(tokens:headDim:)` floats, this thread's only.
    ///   - rowEntropy: when given, (T) each row's entropy in nats (`Softmax.causalRow`).
    public static func probabilities(q: UnsafePointer<Float>, k: UnsafePointer<Float>, ld: Int, tokens: Int, headDim: Int,
                                     scale: Float, probs: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                     rowEntropy: UnsafeMutablePointer<Float>? = nil) {
        let t = tokens, d = headDim
        let kPacked = scratch                                  // Kᵀ (D, T) in panels
        packB(k: d, n: t, source: k, rowStride: ld, transposed: true, into: kPacked)
        var i0 = 0
        while i0 < t {
            let rows = min(gemmMR, t - i0)
            let lastRow = i0 + rows - 1
            let panels = lastRow / gemmNR + 1                   // panels holding keys ≤ lastRow
            let cols = min(t, panels * gemmNR)
            if d == 0 {
                for r in 0..<rows { (probs + (i0 + r) * t).update(repeating: 0, count: cols) }
            }
            var block = 0, p0 = 0
            while p0 < d {
                let kcb = min(gemmKC, d - p0)
                for panel in 0..<panels {
                    let j0 = panel * gemmNR
                    let b = packedBPanel(kPacked, n: t, k: d, block: block, panel: panel)
                    let c = probs + i0 * t + j0
                    if rows == gemmMR {
                        // The first k-block writes the scores; later ones (D > KC) add to them.
                        microTileStridedA(kc: kcb, a: q + i0 * ld + p0, lda: ld, b: b, c: c, ldc: t, cols: min(gemmNR, t - j0),
                                          accumulate: block > 0)
                    } else {
                        microTileFewRows(kc: kcb, a: q + i0 * ld + p0, lda: ld, b: b, c: c, ldc: t, rows: rows,
                                         cols: min(gemmNR, t - j0), accumulate: block > 0)
                    }
                }
                p0 += kcb
                block += 1
            }
            for r in 0..<rows {
                Softmax.causalRow(probs + (i0 + r) * t, visible: i0 + r + 1, count: t, scale: scale,
                                  entropy: rowEntropy.map { $0 + i0 + r })
            }
            i0 += gemmMR
        }
    }

    /// out (T, D) = P (T, T) · V (T, D) for causal P (row q zero after key q): each row block
    /// reads only keys up to its last row.
    ///
    /// - Parameters:
    ///   - probs: P, row stride T.
    ///   - v: V (T, D), row `t` at `v + t * ld`.
    ///   - out: (T, D), row `t` at `out + t * ldOut`; overwritten.
    public static func weightedValues(probs: UnsafePointer<Float>, v: UnsafePointer<Float>, ld: Int, tokens: Int, headDim: Int,
                                      out: UnsafeMutablePointer<Float>, ldOut: Int, scratch: UnsafeMutablePointer<Float>) {
        let t = tokens, d = headDim
        let vPacked = scratch                                  // V (T, D) in panels
        // P's rows are T floats apart; at T = 1024 (4 KiB) the 14 rows a tile reads share L1 sets
        // and thrash, so each k-block of them is first copied to a padded stride.
        let rowCopy = scratch + max(packedBCount(k: d, n: t), packedBCount(k: t, n: d))   // (MR, KC + 16)
        let copyRows = Gemm.rowsAliasInL1(lda: t)
        packB(k: t, n: d, source: v, rowStride: ld, transposed: false, into: vPacked)
        let panels = (d + gemmNR - 1) / gemmNR
        var i0 = 0
        while i0 < t {
            let rows = min(gemmMR, t - i0)
            let lastRow = i0 + rows - 1
            for r in 0..<rows { (out + (i0 + r) * ldOut).update(repeating: 0, count: d) }
            var block = 0, p0 = 0
            while p0 <= lastRow {
                let kcb = min(gemmKC, t - p0)
                let kcVisible = min(kcb, lastRow + 1 - p0)      // keys after lastRow have P = 0
                var aRows = probs + i0 * t + p0, aStride = t
                if rows == gemmMR && copyRows {
                    Gemm.copyRowBlock(rows: gemmMR, kc: kcVisible, source: aRows, lda: t, into: rowCopy)
                    aRows = UnsafePointer(rowCopy)
                    aStride = Gemm.paddedStride
                }
                for panel in 0..<panels {
                    let j0 = panel * gemmNR
                    let b = packedBPanel(vPacked, n: d, k: t, block: block, panel: panel)
                    let c = out + i0 * ldOut + j0
                    if rows == gemmMR {
                        microTileStridedA(kc: kcVisible, a: aRows, lda: aStride, b: b, c: c, ldc: ldOut,
                                          cols: min(gemmNR, d - j0))
                    } else {
                        microTileFewRows(kc: kcVisible, a: probs + i0 * t + p0, lda: t, b: b, c: c, ldc: ldOut, rows: rows,
                                         cols: min(gemmNR, d - j0), accumulate: true)
                    }
                }
                p0 += kcb
                block += 1
            }
            i0 += gemmMR
        }
    }
}

/// Runs the strided-A micro-kernel on MR full rows and `cols` ≤ NR columns of C, adding to C
/// (`accumulate`) or overwriting it.
@inline(__always)
func microTileStridedA(kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                       c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int, accumulate: Bool = true) {
    if cols == gemmNR {
        microKernelStridedA(kc: kc, a: a, lda: lda, b: b, c: c, ldc: ldc, accumulate: accumulate)
        return
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: gemmMR * gemmNR) { tile in
        guard let tp = tile.baseAddress else { return }
        for r in 0..<gemmMR {
            for j in 0..<gemmNR { tp[r * gemmNR + j] = accumulate && j < cols ? c[r * ldc + j] : 0 }
        }
        microKernelStridedA(kc: kc, a: a, lda: lda, b: b, c: tp, ldc: gemmNR, accumulate: true)
        for r in 0..<gemmMR { (c + r * ldc).update(from: tp + r * gemmNR, count: cols) }
    }
}
