/// Single-precision matrix multiply, BLIS style: A is packed per call in row panels, B comes
/// pre-packed (`PackedMatrix`), and a 14×32 register-blocked micro-kernel does the work.
///
/// All matrices are row-major with explicit row strides (in floats). Work is split into
/// (row block × column range) chunks handed out dynamically to `threads` threads.
public enum Gemm {
    /// How C's previous contents are treated.
    public enum Output {
        /// C = bias + A·B (bias nil: C = A·B).
        case overwrite
        /// C += bias + A·B (a fused residual add).
        case accumulate
    }

    /// C (M, N) = [C +] bias (N) + A (M, K) · B (K, N).
    ///
    /// - Parameters:
    ///   - a: A, row `i` at `a + i * lda`, `K = b.k` columns.
    ///   - c: C, row `i` at `c + i * ldc`, `N = b.n` columns; must not overlap A.
    ///   - bias: N floats added to every row, or nil.
    ///   - threads: Threads to use; 1 runs on the caller's thread.
    public static func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
                                c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil,
                                output: Output = .overwrite, threads: Int = ParallelChunks.defaultThreads) {
        let n = b.n, k = b.k
        guard m > 0, n > 0 else { return }
        let panels = (n + gemmNR - 1) / gemmNR
        let rowBlocks = (m + gemmMC - 1) / gemmMC
        // Enough chunks that one slow thread does not hold up the other; few enough that A is
        // not re-packed too often (A is re-packed once per chunk).
        let wantedChunks = threads > 1 ? 12 * threads : 1
        let columnSplits = min(panels, max(1, (wantedChunks + rowBlocks - 1) / rowBlocks))
        let panelsPerChunk = (panels + columnSplits - 1) / columnSplits
        let columnChunks = (panels + panelsPerChunk - 1) / panelsPerChunk
        let workers = min(threads, rowBlocks * columnChunks)
        let scratch = (0..<max(workers, 1)).map { _ in AlignedFloats(count: gemmMR * gemmKC) }

        ParallelChunks.run(chunks: rowBlocks * columnChunks, threads: workers) { worker, chunk in
            let i0 = (chunk / columnChunks) * gemmMC
            let rows = min(gemmMC, m - i0)
            let panel0 = (chunk % columnChunks) * panelsPerChunk
            let panel1 = min(panels, panel0 + panelsPerChunk)
            let col0 = panel0 * gemmNR
            let cols = min(panel1 * gemmNR, n) - col0
            let cTile = c + i0 * ldc + col0
            initialiseOutput(rows: rows, cols: cols, c: cTile, ldc: ldc,
                             bias: bias.map { $0 + col0 }, output: output)
            guard k > 0 else { return }
            let aPacked = scratch[worker].base
            var block = 0
            var p0 = 0
            while p0 < k {
                let kcb = min(gemmKC, k - p0)
                // Full row panels read A in place (its rows are unit-stride in k); only a
                // partial last panel is packed, zero-padded to MR rows.
                let fullRows = rows / gemmMR * gemmMR
                if fullRows < rows {
                    packA(rows: rows - fullRows, kc: kcb, source: a + (i0 + fullRows) * lda, lda: lda, p0: p0, into: aPacked)
                }
                for panel in panel0..<panel1 {
                    let bPanel = b.panel(block: block, panel: panel)
                    let j0 = panel * gemmNR
                    let nr = min(gemmNR, n - j0)
                    var r0 = 0
                    while r0 < fullRows {
                        microTileStridedA(kc: kcb, a: a + (i0 + r0) * lda + p0, lda: lda, b: bPanel,
                                          c: c + (i0 + r0) * ldc + j0, ldc: ldc, cols: nr)
                        r0 += gemmMR
                    }
                    if fullRows < rows {
                        microTilePackedA(kc: kcb, a: aPacked, b: bPanel, c: c + (i0 + fullRows) * ldc + j0, ldc: ldc,
                                         rows: rows - fullRows, cols: nr)
                    }
                }
                p0 += kcb
                block += 1
            }
        }
    }

    /// C (M, N) = [C +] A (M, K) · B (K, N) with B unpacked: element (kk, j) of B is
    /// `b[kk * ldb + j]`, or `b[j * ldb + kk]` when `bTransposed`. Packs B for this call.
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int, bTransposed: Bool = false,
                                c: UnsafeMutablePointer<Float>, ldc: Int, output: Output = .overwrite,
                                threads: Int = ParallelChunks.defaultThreads) {
        let packed = PackedMatrix(k: k, n: n, source: b, rowStride: ldb, transposed: bTransposed)
        multiply(m: m, a: a, lda: lda, b: packed, c: c, ldc: ldc, output: output, threads: threads)
    }

    /// Sets (or adds to) a (rows, cols) tile of C the bias row, before the products accumulate.
    static func initialiseOutput(rows: Int, cols: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                 bias: UnsafePointer<Float>?, output: Output) {
        for r in 0..<rows {
            let row = c + r * ldc
            switch (output, bias) {
            case (.overwrite, nil): row.update(repeating: 0, count: cols)
            case (.overwrite, let bias?): row.update(from: bias, count: cols)
            case (.accumulate, nil): break
            case (.accumulate, let bias?): addInPlace(row, bias, count: cols)
            }
        }
    }
}
