import Foundation
import XCTest
@testable import Kernels

/// `TileGeometry`, `TileMask` and `BlockSparseAttention`: hand-worked 5-token cases, then random
/// masks against plain loops (Double) and against the dense kernels with the same mask applied
/// to their probabilities (1e-5), on sizes that cross the 14-row and 32-key panels.
final class BlockSparseAttentionTests: XCTestCase {
    // MARK: geometry and mask

    func testFiveByFiveGeometryWithTwoByTwoTiles() {
        let g = TileGeometry(tokens: 5, queryBlockSize: 2, keyBlockSize: 2)
        XCTAssertEqual(g.queryBlocks, 3)
        XCTAssertEqual(g.keyBlocks, 3)
        XCTAssertEqual(g.visibleTiles, 6, "1 + 2 + 3")
        XCTAssertEqual(g.causalEntries, 15)
        // Diagonal tiles (0,0) and (1,1) hold masked entries; (2,2) is the single entry (4,4).
        XCTAssertTrue(g.isPartial(queryBlock: 0, keyBlock: 0))
        XCTAssertTrue(g.isPartial(queryBlock: 1, keyBlock: 1))
        XCTAssertFalse(g.isPartial(queryBlock: 2, keyBlock: 2))
        XCTAssertFalse(g.isPartial(queryBlock: 1, keyBlock: 0))
        XCTAssertFalse(g.isVisible(queryBlock: 0, keyBlock: 1))
        XCTAssertEqual(g.tileArea(queryBlock: 2, keyBlock: 0), 2, "one query × two keys")
    }

    func testUnalignedBlocksVisibility() {
        // Bq = 2, Bk = 3, T = 5: query block 1 = {2, 3} sees key block 1 = {3, 4} through query 3 only.
        let g = TileGeometry(tokens: 5, queryBlockSize: 2, keyBlockSize: 3)
        XCTAssertEqual(g.visibleKeyBlocks(queryBlock: 0), 1)
        XCTAssertEqual(g.visibleKeyBlocks(queryBlock: 1), 2)
        XCTAssertTrue(g.isPartial(queryBlock: 1, keyBlock: 1))
        XCTAssertFalse(g.isPartial(queryBlock: 1, keyBlock: 0), "keys 0…2 are all visible to queries 2 and 3")
    }

    func testMaskFallbackAndComputedEntries() {
        let g = TileGeometry(tokens: 5, queryBlockSize: 2, keyBlockSize: 2)
        var mask = TileMask(geometry: g)
        mask.keep(queryBlock: 1, keyBlock: 1)      // partial diagonal tile: queries 2,3 × keys 2,3
        mask.keep(queryBlock: 2, keyBlock: 0)      // query 4 × keys 0,1
        mask.keep(queryBlock: 0, keyBlock: 2)      // not visible: ignored
        XCTAssertEqual(mask.keptTiles, 2)
        XCTAssertTrue(mask.fallsBack(query: 0))
        XCTAssertTrue(mask.fallsBack(query: 1))
        XCTAssertFalse(mask.fallsBack(query: 2))
        XCTAssertFalse(mask.fallsBack(query: 4))
        // Tiles whole: 4 + 2; fallback rows 0 and 1: 1 + 2 entries. Dense causal: 15.
        XCTAssertEqual(mask.computedEntries, 9)
        XCTAssertEqual(mask.computedFraction, 9.0 / 15.0, accuracy: 1e-15)
        XCTAssertEqual(TileMask(geometry: g, keepingAllVisible: true).computedEntries, 4 + 4 + 4 + 2 + 2 + 1,
                       "every visible tile whole: (0,0), (1,0), (1,1) 4 each; (2,0), (2,1) 2; (2,2) 1")
    }

    // MARK: hand-worked kernel cases

    /// Q = 0: every kept score is equal, so each row's output is the mean of its kept V.
    private func uniformOutputs(tokens t: Int, mask: TileMask, values: [Float]) -> [Float] {
        let q = [Float](repeating: 0, count: t), k = [Float](repeating: 1, count: t)
        var out = [Float](repeating: .nan, count: t)
        let ws = BlockSparseWorkspace(tokens: t, headDim: 1, queryBlockSize: mask.geometry.queryBlockSize)
        q.withUnsafeBufferPointer { qp in
            k.withUnsafeBufferPointer { kp in
                values.withUnsafeBufferPointer { vp in
                    out.withUnsafeMutableBufferPointer { op in
                        let head = HeadProjections(q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!, rowStride: 1,
                                                   tokens: t, headDim: 1)
                        BlockSparseAttention.attend(head, mask: mask, scale: 1, out: op.baseAddress!, ldOut: 1, workspace: ws)
                    }
                }
            }
        }
        return out
    }

    func testHandWorkedTwoByTwo() {
        var mask = TileMask(geometry: TileGeometry(tokens: 5, queryBlockSize: 2, keyBlockSize: 2))
        mask.keep(queryBlock: 1, keyBlock: 1)
        mask.keep(queryBlock: 2, keyBlock: 0)
        // V = 1, 2, 4, 8, 16. Rows 0, 1 keep nothing → dense: 1 and (1+2)/2. Row 2 sees key 2 of
        // the partial tile only (key 3 is its future): 4. Row 3: (4+8)/2. Row 4: keys 0, 1: 1.5.
        let out = uniformOutputs(tokens: 5, mask: mask, values: [1, 2, 4, 8, 16])
        XCTAssertEqual(out, [1, 1.5, 4, 6, 1.5])
    }

    func testHandWorkedRowThatWouldLoseEverything() {
        // Bq = 2, Bk = 3: keep only tile (1, 1) = queries {2, 3} × keys {3, 4}. Row 2 sees none of
        // its keys there → dense over keys 0…2: (1+2+4)/3; row 3 sees key 3: 8. Block 0 and row 4
        // (block 2, nothing kept) are dense.
        var mask = TileMask(geometry: TileGeometry(tokens: 5, queryBlockSize: 2, keyBlockSize: 3))
        mask.keep(queryBlock: 1, keyBlock: 1)
        XCTAssertTrue(mask.fallsBack(query: 2))
        XCTAssertFalse(mask.fallsBack(query: 3))
        let out = uniformOutputs(tokens: 5, mask: mask, values: [1, 2, 4, 8, 16])
        XCTAssertEqual(out[0], 1)
        XCTAssertEqual(out[1], 1.5)
        XCTAssertEqual(out[2], 7.0 / 3.0, accuracy: 1e-6)
        XCTAssertEqual(out[3], 8)
        XCTAssertEqual(out[4], 31.0 / 5.0, accuracy: 1e-6)
    }

    // MARK: random masks

    private func randomMask(_ g: TileGeometry, keep probability: Double, rng: inout SeededFloats) -> TileMask {
        var mask = TileMask(geometry: g)
        for i in 0..<g.queryBlocks {
            for j in 0..<g.visibleKeyBlocks(queryBlock: i) where Double(rng.next() + 1) / 2 < probability {
                mask.keep(queryBlock: i, keyBlock: j)
            }
        }
        return mask
    }

    private func check(tokens t: Int, headDim d: Int, queryBlock bq: Int, keyBlock bk: Int, keep: Double, seed: UInt64) {
        var rng = SeededFloats(seed: seed)
        let ld = 3 * d + 3
        let qkv = rng.array(t * ld, scale: 1.5)
        let g = TileGeometry(tokens: t, queryBlockSize: bq, keyBlockSize: bk)
        let mask = randomMask(g, keep: keep, rng: &rng)
        let scale = 1 / Float(d).squareRoot()
        let ldOut = d + 2
        var sparse = [Float](repeating: .nan, count: t * ldOut)
        var dense = [Float](repeating: .nan, count: t * ldOut)
        var probs = [Float](repeating: .nan, count: t * t)
        var scratch = [Float](repeating: 0, count: CausalAttentionKernels.scratchCount(tokens: t, headDim: d))
        let ws = BlockSparseWorkspace(tokens: t, headDim: d, queryBlockSize: bq)
        var fallbackRows = 0
        qkv.withUnsafeBufferPointer { qp in
            let base = qp.baseAddress!
            let head = HeadProjections(q: base, k: base + d, v: base + 2 * d, rowStride: ld, tokens: t, headDim: d)
            sparse.withUnsafeMutableBufferPointer { op in
                fallbackRows = BlockSparseAttention.attend(head, mask: mask, scale: scale, out: op.baseAddress!, ldOut: ldOut,
                                                           workspace: ws)
            }
            probs.withUnsafeMutableBufferPointer { pp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    CausalAttentionKernels.probabilities(q: base, k: base + d, ld: ld, tokens: t, headDim: d, scale: scale,
                                                         probs: pp.baseAddress!, scratch: sp.baseAddress!)
                    applyMask(mask, to: pp.baseAddress!, tokens: t)
                    dense.withUnsafeMutableBufferPointer { op in
                        CausalAttentionKernels.weightedValues(probs: pp.baseAddress!, v: base + 2 * d, ld: ld, tokens: t,
                                                              headDim: d, out: op.baseAddress!, ldOut: ldOut, scratch: sp.baseAddress!)
                    }
                }
            }
        }
        let label = "T \(t) D \(d) Bq \(bq) Bk \(bk) keep \(keep)"
        XCTAssertEqual(fallbackRows, (0..<t).filter { mask.fallsBack(query: $0) }.count, label)
        for q in 0..<t {
            // Plain loops: the row's kept visible keys (all of 0…q when none), softmax, weighted sum.
            let i = g.queryBlock(of: q)
            var keys = (0...q).filter { mask.isKept(queryBlock: i, keyBlock: g.keyBlock(of: $0)) }
            if keys.isEmpty { keys = Array(0...q) }
            let scores = keys.map { k -> Double in
                var s = 0.0
                for x in 0..<d { s += Double(qkv[q * ld + x]) * Double(qkv[k * ld + d + x]) }
                return s * Double(scale)
            }
            let m = scores.max()!
            let weights = scores.map { exp($0 - m) }
            let z = weights.reduce(0, +)
            for x in 0..<d {
                var s = 0.0
                for (n, k) in keys.enumerated() { s += weights[n] / z * Double(qkv[k * ld + 2 * d + x]) }
                XCTAssertEqual(Double(sparse[q * ldOut + x]), s, accuracy: 1e-5, "\(label) loops q \(q) x \(x)")
                XCTAssertEqual(sparse[q * ldOut + x], dense[q * ldOut + x], accuracy: 1e-5, "\(label) dense q \(q) x \(x)")
            }
            XCTAssertTrue(sparse[q * ldOut + d].isNaN, "\(label): padding columns untouched")
        }
    }

    /// Zeroes the entries of pruned tiles in causal probabilities (T, T) and renormalises each
    /// row; rows that fall back are left dense.
    private func applyMask(_ mask: TileMask, to probs: UnsafeMutablePointer<Float>, tokens t: Int) {
        let g = mask.geometry
        for q in 0..<t where !mask.fallsBack(query: q) {
            let row = probs + q * t
            var kept = 0.0
            for k in 0...q {
                if mask.isKept(queryBlock: g.queryBlock(of: q), keyBlock: g.keyBlock(of: k)) { kept += Double(row[k]) } else { row[k] = 0 }
            }
            for k in 0...q { row[k] = Float(Double(row[k]) / kept) }
        }
    }

    func testOneToken() { check(tokens: 1, headDim: 1, queryBlock: 1, keyBlock: 1, keep: 1, seed: 41) }
    func testRowTilesOddSizes() { check(tokens: 19, headDim: 13, queryBlock: 1, keyBlock: 3, keep: 0.5, seed: 42) }
    func testUnalignedTiles() { check(tokens: 37, headDim: 9, queryBlock: 3, keyBlock: 5, keep: 0.4, seed: 43) }
    func testQueryBlockLargerThanKeyBlock() { check(tokens: 70, headDim: 16, queryBlock: 20, keyBlock: 7, keep: 0.3, seed: 44) }
    func testGPT2TilesCrossPanels() { check(tokens: 270, headDim: 64, queryBlock: 64, keyBlock: 64, keep: 0.35, seed: 45) }
    func testWideHeadCrossesKeyBlockDepth() { check(tokens: 60, headDim: 300, queryBlock: 16, keyBlock: 48, keep: 0.5, seed: 46) }
    func testEverythingKeptIsDense() { check(tokens: 100, headDim: 20, queryBlock: 14, keyBlock: 32, keep: 1, seed: 47) }
    func testNothingKeptIsDense() { check(tokens: 50, headDim: 8, queryBlock: 8, keyBlock: 8, keep: 0, seed: 48) }
    func testBlockLargerThanSequence() { check(tokens: 12, headDim: 5, queryBlock: 40, keyBlock: 40, keep: 1, seed: 49) }
    /// T = 1024-wide compact rows alias in L1 and get a padded stride; the result must not change.
    func testFullWidthCompactRows() { check(tokens: 512, headDim: 64, queryBlock: 64, keyBlock: 64, keep: 0.9, seed: 50) }
}

/// `QuestBounds.tileScores` against plain loops (Double), on sizes crossing the 16-block lanes.
final class QuestBoundsTests: XCTestCase {
    func testAgainstPlainLoops() {
        for (t, d, bq, bk) in [(37, 5, 3, 2), (70, 16, 8, 4), (9, 3, 1, 1)] {
            var rng = SeededFloats(seed: UInt64(t * d))
            let q = rng.array(t * d, scale: 2), k = rng.array(t * d, scale: 2)
            let g = TileGeometry(tokens: t, queryBlockSize: bq, keyBlockSize: bk)
            var out = [Float](repeating: -1, count: g.queryBlocks * g.keyBlocks)
            q.withUnsafeBufferPointer { qp in
                k.withUnsafeBufferPointer { kp in
                    let head = HeadQueriesKeys(q: qp.baseAddress!, k: kp.baseAddress!, rowStride: d, tokens: t, headDim: d)
                    QuestBounds.tileScores(head, geometry: g, scale: 0.5, out: &out)
                }
            }
            for i in 0..<g.queryBlocks {
                let visible = g.visibleKeyBlocks(queryBlock: i)
                var want = [Double](repeating: 0, count: visible)
                for row in g.queries(ofBlock: i) {
                    let u = (0..<visible).map { j -> Double in
                        let keys = g.keys(ofBlock: j)
                        return 0.5 * (0..<d).reduce(0.0) { sum, c in
                            let hi = keys.map { Double(k[$0 * d + c]) }.max()!, lo = keys.map { Double(k[$0 * d + c]) }.min()!
                            return sum + max(Double(q[row * d + c]) * hi, Double(q[row * d + c]) * lo)
                        }
                    }
                    let top = u.max()!, z = u.reduce(0.0) { $0 + exp($1 - top) }
                    for j in 0..<visible { want[j] = max(want[j], exp(u[j] - top) / z) }
                }
                for j in 0..<g.keyBlocks {
                    XCTAssertEqual(Double(out[i * g.keyBlocks + j]), j < visible ? want[j] : 0, accuracy: 2e-6,
                                   "T \(t) D \(d) Bq \(bq) Bk \(bk) tile (\(i), \(j))")
                }
            }
        }
    }
}
