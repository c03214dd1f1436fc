/// Packing of GEMM operands into the layouts the micro-kernels stream through.
///
/// B (K, N) is cut into k-blocks of `kc` rows and panels of `gemmNR` columns; each panel is
/// stored k-major (`panel[kk * NR + j]`), zero-padded past N. A (M, K) is cut into panels of
/// `gemmMR` rows stored k-major (`panel[kk * MR + r]`), zero-padded past M.

/// Depth of one k-block: a B panel of `kc × NR` floats (32 KiB) and an A panel of
/// `MR × kc` floats (14 KiB) stay in L1/L2 while the micro-kernel runs.
public let gemmKC = 256
/// Rows of A one chunk of work covers (24 row panels; 336 KiB of A per k-block, L2-resident).
public let gemmMC = 24 * 14

/// Floats needed to pack B (K, N) with `packB`.
func packedBCount(k: Int, n: Int) -> Int {
    let panels = (n + gemmNR - 1) / gemmNR
    return max(k, 1) * panels * gemmNR
}

/// Packs B (K, N) into `dst` (`packedBCount(k:n:)` floats). Element (kk, j) of B is
/// `source[kk * rowStride + j]`, or `source[j * rowStride + kk]` when `transposed`
/// (then `source` is (N, K) row-major and B is its transpose).
func packB(k: Int, n: Int, source: UnsafePointer<Float>, rowStride: Int, transposed: Bool,
           into dst: UnsafeMutablePointer<Float>) {
    let panels = (n + gemmNR - 1) / gemmNR
    var out = dst
    var p0 = 0
    while p0 < k {
        let kcb = min(gemmKC, k - p0)
        for panel in 0..<panels {
            let j0 = panel * gemmNR
            let nr = min(gemmNR, n - j0)
            if transposed {
                for j in 0..<gemmNR {
                    if j < nr {
                        let src = source + (j0 + j) * rowStride + p0
                        for kk in 0..<kcb { out[kk * gemmNR + j] = src[kk] }
                    } else {
                        for kk in 0..<kcb { out[kk * gemmNR + j] = 0 }
                    }
                }
            } else {
                for kk in 0..<kcb {
                    let src = source + (p0 + kk) * rowStride + j0
                    let row = out + kk * gemmNR
                    row.update(from: src, count: nr)
                    if nr < gemmNR { (row + nr).update(repeating: 0, count: gemmNR - nr) }
                }
            }
            out += kcb * gemmNR
        }
        p0 += kcb
    }
}

/// Start of panel `panel` of k-block `block` inside a B packed by `packB` with `n` columns.
@inline(__always)
func packedBPanel(_ packed: UnsafePointer<Float>, n: Int, k: Int, block: Int, panel: Int) -> UnsafePointer<Float> {
    let panels = (n + gemmNR - 1) / gemmNR
    let p0 = block * gemmKC
    let kcb = min(gemmKC, k - p0)
    return packed + p0 * panels * gemmNR + panel * kcb * gemmNR
}

/// Packs rows `0..<rows` and columns `p0..<p0+kc` of A (row `r` at `source + r * lda`) into
/// `ceil(rows / MR)` panels of `MR × kc` floats at `dst`, zero-padding missing rows.
func packA(rows: Int, kc: Int, source: UnsafePointer<Float>, lda: Int, p0: Int,
           into dst: UnsafeMutablePointer<Float>) {
    var panelStart = 0
    var out = dst
    while panelStart < rows {
        let mr = min(gemmMR, rows - panelStart)
        for r in 0..<gemmMR {
            if r < mr {
                let src = source + (panelStart + r) * lda + p0
                for kk in 0..<kc { out[kk * gemmMR + r] = src[kk] }
            } else {
                for kk in 0..<kc { out[kk * gemmMR + r] = 0 }
            }
        }
        out += gemmMR * kc
        panelStart += gemmMR
    }
}

/// Runs the packed-A micro-kernel on a tile of C that may be smaller than MR × NR
/// (`rows` ≤ MR, `cols` ≤ NR), adding to C (`accumulate`) or overwriting it. Full tiles go
/// straight to C; partial ones go through a local MR × NR tile.
@inline(__always)
func microTilePackedA(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                      c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool = true) {
    if rows == gemmMR && cols == gemmNR {
        microKernelPackedA(kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        return
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: gemmMR * gemmNR) { tile in
        guard let t = tile.baseAddress else { return }
        for r in 0..<gemmMR {
            for j in 0..<gemmNR { t[r * gemmNR + j] = (accumulate && r < rows && j < cols) ? c[r * ldc + j] : 0 }
        }
        microKernelPackedA(kc: kc, a: a, b: b, c: t, ldc: gemmNR, accumulate: true)
        for r in 0..<rows {
            (c + r * ldc).update(from: t + r * gemmNR, count: cols)
        }
    }
}
