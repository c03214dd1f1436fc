/// Causal attention of one head computed only on the kept tiles of a `TileMask`: Q·Kᵀ on kept
/// tiles, a softmax over each row's kept visible entries, and P·V over the same tiles. The dense
/// (T, T) attention is never formed; per query block only the scores of its kept key columns
/// exist, in a compact (Bq, W) buffer.
///
/// Rows with no kept visible key fall back to dense (all keys `0...q`), as `TileMask` describes.
/// Work is done in 32-key column panels (the GEMM micro-kernel's width): a kept key block that
/// covers part of a panel computes the whole panel and masks the rest, so key blocks that are
/// multiples of 32 waste nothing. One call handles one head on the caller's thread, with that
/// thread's workspace.
public enum BlockSparseAttention {
    /// out (T, D) = softmax_kept(scale · Q Kᵀ) · V over the kept tiles of `mask`.
    ///
    /// - Parameters:
    ///   - head: Q, K, V (T, D); `T` must equal `mask.geometry.tokens`.
    ///   - out: row `t` at `out + t * ldOut`, `D` floats written per row.
    ///   - workspace: sized for at least this `T`, `D` and query block size; this thread's only.
    /// - Returns: rows that fell back to dense.
    @discardableResult
    public static func attend(_ head: HeadProjections, mask: TileMask, scale: Float, out: UnsafeMutablePointer<Float>,
                              ldOut: Int, workspace ws: BlockSparseWorkspace) -> Int {
        let g = mask.geometry, t = head.tokens, d = head.headDim, ld = head.rowStride
        precondition(g.tokens == t, "mask is for \(g.tokens) tokens, head has \(t)")
        precondition(ws.fits(tokens: t, headDim: d, queryBlockSize: g.queryBlockSize), "workspace too small")
        let kPacked = ws.kPacked.base, vPanels = ws.vPanels.base, scores = ws.scores.base
        let columnAll = ws.columnAll.base, columnKept = ws.columnKept.base
        packB(k: d, n: t, source: head.k, rowStride: ld, transposed: true, into: kPacked)   // Kᵀ (D, T) in panels
        packValues(head.v, rowStride: ld, tokens: t, headDim: d, into: vPanels)
        let dPanels = (d + gemmNR - 1) / gemmNR
        var fallbackRows = 0
        for i in 0..<g.queryBlocks {
            let rows = g.queries(ofBlock: i)
            let qa = rows.lowerBound, n = rows.count, lastQ = rows.upperBound - 1
            // Rows before the first kept key have no kept visible key: they attend densely.
            let fallbackEnd = min(mask.firstKeptKey(queryBlock: i) ?? t, rows.upperBound)
            fallbackRows += max(0, fallbackEnd - qa)
            let w = ws.selectPanels(mask: mask, queryBlock: i, lastQuery: lastQ, fallbackEnd: fallbackEnd)
            let stride = Gemm.rowsAliasInL1(lda: w) ? w + Gemm.rowPadding : w
            // Column c of the compact scores is key `panel·NR + c % NR`: its index as a Float
            // (+inf past T, and in `columnKept` also for keys of pruned tiles).
            for (index, panel) in ws.panels.prefix(ws.panelCount).enumerated() {
                for c in 0..<gemmNR {
                    let key = Int(panel) * gemmNR + c
                    let inRange = key < t
                    columnAll[index * gemmNR + c] = inRange ? Float(key) : .infinity
                    columnKept[index * gemmNR + c] = inRange && mask.isKept(queryBlock: i, keyBlock: key / g.keyBlockSize)
                        ? Float(key) : .infinity
                }
            }
            // 1. scores (n, W) = Q_rows · Kᵀ on the selected panels.
            var r0 = 0
            while r0 < n {
                let rowsHere = min(gemmMR, n - r0)
                for index in 0..<ws.panelCount {
                    let c = scores + r0 * stride + index * gemmNR
                    var block = 0, p0 = 0
                    while p0 < d {
                        let kcb = min(gemmKC, d - p0)
                        let b = packedBPanel(kPacked, n: t, k: d, block: block, panel: Int(ws.panels[index]))
                        let a = head.q + (qa + r0) * ld + p0
                        if rowsHere == gemmMR {
                            microKernelStridedA(kc: kcb, a: a, lda: ld, b: b, c: c, ldc: stride, accumulate: block > 0)
                        } else {
                            microTileFewRows(kc: kcb, a: a, lda: ld, b: b, c: c, ldc: stride, rows: rowsHere,
                                             cols: gemmNR, accumulate: block > 0)
                        }
                        p0 += kcb
                        block += 1
                    }
                }
                r0 += gemmMR
            }
            // 2. softmax of each row over its kept visible keys; everything else exactly 0.
            for r in 0..<n {
                let q = qa + r
                Softmax.maskedRow(scores + r * stride, count: w, columnKeys: q < fallbackEnd ? columnAll : columnKept,
                                  lastKey: Float(q), scale: scale)
            }
            // 3. out rows = P (n, W) · V on the same keys, panel runs merged into one product each.
            let runs = ws.panelRuns(lastQuery: lastQ, tokens: t)
            for dp in 0..<dPanels {
                let cols = min(gemmNR, d - dp * gemmNR)
                r0 = 0
                while r0 < n {
                    let rowsHere = min(gemmMR, n - r0)
                    let c = out + (qa + r0) * ldOut + dp * gemmNR
                    for (index, run) in runs.enumerated() {
                        let a = UnsafePointer(scores + r0 * stride + run.column)
                        let b = UnsafePointer(vPanels + (dp * t + run.key) * gemmNR)
                        if rowsHere == gemmMR {
                            microTileStridedA(kc: run.count, a: a, lda: stride, b: b, c: c, ldc: ldOut, cols: cols,
                                              accumulate: index > 0)
                        } else {
                            microTileFewRows(kc: run.count, a: a, lda: stride, b: b, c: c, ldc: ldOut, rows: rowsHere,
                                             cols: cols, accumulate: index > 0)
                        }
                    }
                    r0 += gemmMR
                }
            }
        }
        return fallbackRows
    }

    /// V (T, D) into `ceil(D / NR)` panels of (T, NR), each key's NR floats contiguous (zero past
    /// D): any run of keys of a panel is one contiguous B operand for the micro-kernel.
    private static func packValues(_ v: UnsafePointer<Float>, rowStride ld: Int, tokens t: Int, headDim d: Int,
                                   into dst: UnsafeMutablePointer<Float>) {
        let dPanels = (d + gemmNR - 1) / gemmNR
        for dp in 0..<dPanels {
            let cols = min(gemmNR, d - dp * gemmNR)
            for key in 0..<t {
                let row = dst + (dp * t + key) * gemmNR
                row.update(from: v + key * ld + dp * gemmNR, count: cols)
                if cols < gemmNR { (row + cols).update(repeating: 0, count: gemmNR - cols) }
            }
        }
    }
}

/// Per-thread scratch of `BlockSparseAttention`: packed Kᵀ and V of one head, the compact scores
/// of one query block and its column bookkeeping. Not thread-safe: one per worker.
public final class BlockSparseWorkspace {
    public let tokens: Int
    public let headDim: Int
    public let queryBlockSize: Int
    let kPacked: AlignedFloats        // Kᵀ (D, T) in NR-key panels
    let vPanels: AlignedFloats        // (ceil(D/NR), T, NR)
    let scores: AlignedFloats         // (Bq, W + padding)
    let columnAll: AlignedFloats      // (W) key of each compact column, +inf past T
    let columnKept: AlignedFloats     // (W) the same, +inf also for keys of pruned tiles
    /// Selected 32-key panels of the current query block, ascending; `panelCount` are valid.
    private(set) var panels: [Int32]
    private(set) var panelCount = 0
    private var needed: [Bool]

    /// Sized for heads of up to `tokens` T, `headDim` D, and tiles of up to `queryBlockSize` queries.
    public init(tokens: Int, headDim: Int, queryBlockSize: Int) {
        self.tokens = max(tokens, 1)
        self.headDim = max(headDim, 1)
        self.queryBlockSize = max(1, min(queryBlockSize, self.tokens))
        let keyPanels = (self.tokens + gemmNR - 1) / gemmNR
        let width = keyPanels * gemmNR
        kPacked = AlignedFloats(uninitializedCount: packedBCount(k: self.headDim, n: self.tokens))
        vPanels = AlignedFloats(uninitializedCount: (self.headDim + gemmNR - 1) / gemmNR * gemmNR * self.tokens)
        scores = AlignedFloats(uninitializedCount: self.queryBlockSize * (width + Gemm.rowPadding))
        columnAll = AlignedFloats(uninitializedCount: width)
        columnKept = AlignedFloats(uninitializedCount: width)
        panels = [Int32](repeating: 0, count: keyPanels)
        needed = [Bool](repeating: false, count: keyPanels)
    }

    func fits(tokens t: Int, headDim d: Int, queryBlockSize bq: Int) -> Bool {
        t <= tokens && d <= headDim && min(bq, t) <= queryBlockSize
    }

    /// Marks the panels query block `i` needs (kept tiles' keys ≤ its last query; all keys of its
    /// fallback rows `< fallbackEnd`) and lists them; returns the compact width W.
    func selectPanels(mask: TileMask, queryBlock i: Int, lastQuery: Int, fallbackEnd: Int) -> Int {
        let g = mask.geometry
        let reach = lastQuery / gemmNR + 1
        for p in 0..<reach { needed[p] = false }
        let firstRow = g.queries(ofBlock: i).lowerBound
        if fallbackEnd > firstRow {
            for p in 0...((fallbackEnd - 1) / gemmNR) { needed[p] = true }
        }
        for j in 0..<g.visibleKeyBlocks(queryBlock: i) where mask.isKept(queryBlock: i, keyBlock: j) {
            let keys = g.keys(ofBlock: j)
            let last = min(keys.upperBound, lastQuery + 1) - 1
            for p in (keys.lowerBound / gemmNR)...(last / gemmNR) { needed[p] = true }
        }
        panelCount = 0
        for p in 0..<reach where needed[p] {
            panels[panelCount] = Int32(p)
            panelCount += 1
        }
        return panelCount * gemmNR
    }

    /// One P·V product: `count` keys from `key`, at compact column `column`.
    struct PanelRun {
        let column: Int
        let key: Int
        let count: Int
    }

    /// The selected panels merged into runs of consecutive panels, each clipped to keys ≤
    /// `lastQuery` (later keys have P = 0 in every row of the block) and < T.
    func panelRuns(lastQuery: Int, tokens t: Int) -> [PanelRun] {
        var runs: [PanelRun] = []
        var index = 0
        let end = min(t, lastQuery + 1)
        while index < panelCount {
            var last = index
            while last + 1 < panelCount && panels[last + 1] == panels[last] + 1 { last += 1 }
            let key = Int(panels[index]) * gemmNR
            let count = min(end, (Int(panels[last]) + 1) * gemmNR) - key
            if count > 0 { runs.append(PanelRun(column: index * gemmNR, key: key, count: count)) }
            index = last + 1
        }
        return runs
    }
}
