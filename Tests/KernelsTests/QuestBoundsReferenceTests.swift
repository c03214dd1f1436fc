import Foundation
import XCTest
@testable import Kernels

/// `QuestBounds.tileScores` against the definition (Protocol/README.md §11 `quest`) computed the
/// plain way in Double: per key block the channel-wise min and max of K, per query
/// `u(q, j) = Σ_c max(q_c·M_j[c], q_c·m_j[c])`, a softmax over the key blocks visible to q's
/// query block of `u/√D`, the tile's score the largest over its queries.
///
/// Sizes are odd on purpose: T not a multiple of either block size, Bq ≠ Bk, D not a multiple of
/// 16, Nk from 13 to 50 (one to four 16-lane groups, both the 8-lane and the 16-lane passes),
/// query blocks that are not multiples of the kernel's 8 queries, rows `3·D` floats apart (as in
/// GPT-2's fused qkv) and some channels exactly ±0.
///
/// Tolerance: 5e-5 relative (plus 1e-9 absolute). The kernel sums D Float32 products (|q|, |k| < 1)
/// in channel order; its logit error is below D·2⁻²⁴·Σ|terms| ≈ 3e-5 at D = 67, and a softmax turns a
/// logit error δ into a relative error of about δ. Invisible tiles must be exactly 0.
final class QuestBoundsReferenceTests: XCTestCase {
    func testMatchesTheDefinitionOnRandomOddSizes() {
        for (t, bq, bk, d, seed) in [(37, 5, 3, 7, 1), (203, 7, 9, 67, 2), (50, 3, 1, 16, 3), (1000, 48, 40, 64, 4),
                                     (19, 19, 19, 5, 5), (64, 1, 4, 3, 6)] as [(Int, Int, Int, Int, UInt64)] {
            let g = TileGeometry(tokens: t, queryBlockSize: bq, keyBlockSize: bk)
            let rowStride = 3 * d
            var rng = SeededFloats(seed: seed)
            var q = rng.array(t * rowStride), k = rng.array(t * rowStride)            // (T, 3D): the first D of each row used
            for row in stride(from: 0, to: t, by: 5) { q[row * rowStride + row % d] = 0; q[row * rowStride + (row + 1) % d] = -0.0 }
            var got = [Float](repeating: .nan, count: g.queryBlocks * g.keyBlocks)   // (Nq, Nk)
            q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in
                let qk = HeadQueriesKeys(q: qp.baseAddress!, k: kp.baseAddress!, rowStride: rowStride, tokens: t, headDim: d)
                got.withUnsafeMutableBufferPointer {
                    QuestBounds.tileScores(qk, geometry: g, scale: 1 / Float(d).squareRoot(), out: $0.baseAddress!)
                }
            } }
            let want = Self.reference(q: q, k: k, rowStride: rowStride, headDim: d, geometry: g)
            for i in 0..<g.queryBlocks {
                for j in 0..<g.keyBlocks {
                    let index = i * g.keyBlocks + j
                    guard g.isVisible(queryBlock: i, keyBlock: j) else {
                        XCTAssertEqual(got[index], 0, "T \(t) Bq \(bq) Bk \(bk): invisible tile (\(i), \(j))")
                        continue
                    }
                    let error = abs(Double(got[index]) - want[index])
                    XCTAssertLessThanOrEqual(error, 5e-5 * want[index] + 1e-9,
                                             "T \(t) Bq \(bq) Bk \(bk) D \(d): tile (\(i), \(j)) \(got[index]) vs \(want[index])")
                }
            }
        }
    }

    /// The bound of a key block holding one key is that key's dot product: u(q, j) = q·k_j.
    func testOneKeyPerBlockIsTheExactSoftmaxOfDotProducts() {
        let t = 11, d = 5
        var rng = SeededFloats(seed: 9)
        let q = rng.array(t * d, scale: 3), k = rng.array(t * d, scale: 3)
        let g = TileGeometry(tokens: t, queryBlockSize: 1, keyBlockSize: 1)
        var got = [Float](repeating: 0, count: t * t)
        q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in
            let qk = HeadQueriesKeys(q: qp.baseAddress!, k: kp.baseAddress!, rowStride: d, tokens: t, headDim: d)
            got.withUnsafeMutableBufferPointer { QuestBounds.tileScores(qk, geometry: g, scale: 1, out: $0.baseAddress!) }
        } }
        for row in 0..<t {
            let dots = (0...row).map { key in (0..<d).reduce(0.0) { $0 + Double(q[row * d + $1]) * Double(k[key * d + $1]) } }
            let top = dots.max()!, total = dots.reduce(0.0) { $0 + exp($1 - top) }
            for key in 0...row {
                XCTAssertEqual(Double(got[row * t + key]), exp(dots[key] - top) / total, accuracy: 1e-5, "q \(row) k \(key)")
            }
        }
    }

    /// (Nq, Nk) scores from the definition, in Double.
    static func reference(q: [Float], k: [Float], rowStride: Int, headDim d: Int, geometry g: TileGeometry) -> [Double] {
        let high = (0..<g.keyBlocks).map { j in (0..<d).map { c in g.keys(ofBlock: j).map { k[$0 * rowStride + c] }.max()! } }
        let low = (0..<g.keyBlocks).map { j in (0..<d).map { c in g.keys(ofBlock: j).map { k[$0 * rowStride + c] }.min()! } }
        let scale = 1 / Double(d).squareRoot()
        var out = [Double](repeating: 0, count: g.queryBlocks * g.keyBlocks)
        for i in 0..<g.queryBlocks {
            let visible = g.visibleKeyBlocks(queryBlock: i)
            for row in g.queries(ofBlock: i) {
                let u = (0..<visible).map { j in
                    (0..<d).reduce(0.0) { sum, c in
                        let x = Double(q[row * rowStride + c])
                        return sum + max(x * Double(high[j][c]), x * Double(low[j][c]))
                    } * scale
                }
                let top = u.max()!, total = u.reduce(0.0) { $0 + exp($1 - top) }
                for j in 0..<visible { out[i * g.keyBlocks + j] = max(out[i * g.keyBlocks + j], exp(u[j] - top) / total) }
            }
        }
        return out
    }
}
