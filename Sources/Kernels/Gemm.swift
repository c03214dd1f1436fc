/// Single-precision matrix multiply, BLIS style: B comes pre-packed (`PackedMatrix`, k-blocks
/// of 256 × panels of 32 columns) and a 14×32 register-blocked micro-kernel does the work.
///
/// A is read in place: its rows are unit-stride in k, so each of the 14 rows of a panel is one
/// sequential stream, and on this machine (Zen 4) that measured faster than packing A (the
/// packing copy cost more than it saved). A partial last row panel (fewer than 14 rows) goes
/// through a kernel of up to 4 rows (`microTileFewRows`), also reading A in place.
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

    /// An element-wise function applied to each finished tile of C (on the thread that computed
    /// it, while the tile is still in cache).
    public enum Epilogue: Sendable {
        /// C is left as the sum.
        case none
        /// C ← gelu_new(C) (GPT-2's MLP activation, `GELU.forwardInPlace`).
        case geluNew
    }

    /// C (M, N) = [C +] bias (N) + A (M, K) · B (K, N).
    ///
    /// - Parameters:
    ///   - a: A, row `i` at `a + i * lda`, `K = b.k` columns.
    ///   - c: C, row `i` at `c + i * ldc`, `N = b.n` columns; must not overlap A.
    ///   - bias: N floats added to every row, or nil.
    ///   - epilogue: applied to C after the bias and products (after the residual add too, so use
    ///     it with `.overwrite`).
    ///   - threads: Threads to use; 1 runs on the caller's thread.
    public static func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
                                c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil,
                                output: Output = .overwrite, epilogue: Epilogue = .none,
                                threads: Int = ParallelChunks.defaultThreads) {
        let n = b.n, k = b.k
        guard m > 0, n > 0 else { return }
        let panels = (n + gemmNR - 1) / gemmNR
        let rowBlocks = (m + gemmMC - 1) / gemmMC
        // Enough chunks that one slow thread does not hold up the other; few enough that the
        // per-chunk setup (output init, partial-panel packing, row copies) stays negligible.
        let wantedChunks = threads > 1 ? 12 * threads : 1
        let columnSplits = min(panels, max(1, (wantedChunks + rowBlocks - 1) / rowBlocks))
        // At most `maxPanelsPerChunk` panels, so a chunk's C tile stays in L2 while the k-blocks
        // pass over it (the LM head's N = 50257 would otherwise stream C through memory K/KC times).
        let panelsPerChunk = min(maxPanelsPerChunk, (panels + columnSplits - 1) / columnSplits)
        let columnChunks = (panels + panelsPerChunk - 1) / panelsPerChunk
        // With no bias and nothing to add to, the first k-block writes C instead of C being zeroed.
        let firstBlockWrites = output == .overwrite && bias == nil && k > 0
        let workers = min(threads, rowBlocks * columnChunks)
        // When A's row stride would put a panel's 14 rows in the same few L1 sets (they would
        // thrash), A is copied once, in parallel, to a stride that does not.
        let paddedA = rowsAliasInL1(lda: lda) && m >= gemmMR && k > 0
            ? copyToUnaliasedStride(m: m, k: k, a: a, lda: lda, threads: threads) : nil
        let a = paddedA.map { UnsafePointer($0.copy.base) } ?? a
        let lda = paddedA?.stride ?? lda

        // Chunks sharing a column range are consecutive, so B's panels (the large operand of the
        // LM head) are reused from cache across row blocks.
        ParallelChunks.run(chunks: rowBlocks * columnChunks, threads: workers) { worker, chunk in
            let i0 = (chunk % rowBlocks) * gemmMC
            let rows = min(gemmMC, m - i0)
            let panel0 = (chunk / rowBlocks) * panelsPerChunk
            let panel1 = min(panels, panel0 + panelsPerChunk)
            let col0 = panel0 * gemmNR
            let cols = min(panel1 * gemmNR, n) - col0
            let cTile = c + i0 * ldc + col0
            if !firstBlockWrites {
                initialiseOutput(rows: rows, cols: cols, c: cTile, ldc: ldc, bias: bias.map { $0 + col0 }, output: output)
            }
            defer { applyEpilogue(epilogue, rows: rows, cols: cols, c: cTile, ldc: ldc) }
            guard k > 0 else { return }
            var block = 0
            var p0 = 0
            while p0 < k {
                let kcb = min(gemmKC, k - p0)
                let accumulate = !(firstBlockWrites && block == 0)
                // Full row panels read A in place (its rows are unit-stride in k); a partial
                // last panel goes through the few-rows kernel, also in place.
                let fullRows = rows / gemmMR * gemmMR
                let aRows = a + i0 * lda + p0
                for panel in panel0..<panel1 {
                    let bPanel = b.panel(block: block, panel: panel)
                    let j0 = panel * gemmNR
                    let nr = min(gemmNR, n - j0)
                    var r0 = 0
                    while r0 < fullRows {
                        microTileStridedA(kc: kcb, a: aRows + r0 * lda, lda: lda, b: bPanel,
                                          c: c + (i0 + r0) * ldc + j0, ldc: ldc, cols: nr, accumulate: accumulate)
                        r0 += gemmMR
                    }
                    if fullRows < rows {
                        microTileFewRows(kc: kcb, a: a + (i0 + fullRows) * lda + p0, lda: lda, b: bPanel,
                                         c: c + (i0 + fullRows) * ldc + j0, ldc: ldc, rows: rows - fullRows, cols: nr,
                                         accumulate: accumulate)
                    }
                }
                p0 += kcb
                block += 1
            }
        }
        withExtendedLifetime(paddedA) {}
    }

    /// A (M, K) copied to a fresh buffer whose row stride (K rounded up to a cache line, plus
    /// lines until it stops aliasing) keeps 14 consecutive rows in different L1 sets.
    static func copyToUnaliasedStride(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, threads: Int)
        -> (copy: AlignedFloats, stride: Int) {
        var stride = (k + rowPadding - 1) / rowPadding * rowPadding
        while rowsAliasInL1(lda: stride) { stride += rowPadding }
        let copy = AlignedFloats(uninitializedCount: m * stride)   // rows' padding is never read
        let blocks = (m + gemmMC - 1) / gemmMC
        ParallelChunks.run(chunks: blocks, threads: threads) { _, block in
            for r in (block * gemmMC)..<min(m, block * gemmMC + gemmMC) {
                (copy.base + r * stride).update(from: a + r * lda, count: k)
            }
        }
        return (copy, stride)
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

    /// Most B panels one chunk covers: a (MC, 16·NR) C tile is 688 KiB, inside Zen 4's 1 MiB L2.
    static let maxPanelsPerChunk = 16

    /// Floats added to a row stride that aliases in L1: one cache line.
    public static let rowPadding = 16

    /// Row stride (floats) of copied A rows: a k-block plus one cache line, so consecutive rows
    /// fall in different L1 sets.
    static let paddedStride = gemmKC + rowPadding

    /// True when rows `lda` floats apart repeat an L1 set within 4 rows (the stride is a multiple
    /// of 4 KiB / 4): 14 rows would then compete for 8 ways and thrash (GPT-2's MLP c_proj, K = 3072).
    /// Such an A is copied once per call to an unaliased stride; callers that own A can lay it out
    /// with `lda + rowPadding` instead and save the copy.
    public static func rowsAliasInL1(lda: Int) -> Bool {
        let bytes = lda * 4 % 4096
        return bytes == 0 || 4096 / gcd(bytes, 4096) < 4
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// Copies `rows` rows of `kc` floats (row stride `lda`) to `dst` at stride `paddedStride`.
    static func copyRowBlock(rows: Int, kc: Int, source: UnsafePointer<Float>, lda: Int, into dst: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { (dst + r * paddedStride).update(from: source + r * lda, count: kc) }
    }

    /// Applies `epilogue` to a finished (rows, cols) tile of C.
    static func applyEpilogue(_ epilogue: Epilogue, rows: Int, cols: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        switch epilogue {
        case .none: return
        case .geluNew:
            for r in 0..<rows { GELU.forwardInPlace(c + r * ldc, count: cols) }
        }
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
