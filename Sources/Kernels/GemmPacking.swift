/// Packing of GEMM operands into the layouts the micro-kernels stream through.
///
/// B (K, N) is cut into k-blocks of `kc` rows and panels of `gemmNR` columns; each panel is
/// stored k-major (`panel[kk * NR + j]`), zero-padded past N. A is never packed: the kernels read
/// its rows in place (see `Gemm`).

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
