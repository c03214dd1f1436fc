import Foundation
import XCTest
import Kernels
@testable import AttentionAnalysis

/// The golden of `Tests/Fixtures/analysis/generate_mask_export_golden.py`: the `.npy` files
/// `attnd` exported with `exportMask` (meanPool coverage 0.8 and quest topK 2, Bq = 4, Bk = 4
/// and 8, tiny-peaked english, T = 52), loaded by `BlockMask.from_kv_blocks` and run through
/// compiled `flex_attention` on HF's Q, K, V (those of `flex_tiny-peaked_english.json`). Here the masks read back from those arrays give,
/// through `BlockSparseAttention` (the daemon's pruned attention), flex_attention's output within
/// 1e-5 (measured ≤ 4.8e-6); `FlexBlockMask` of the rebuilt masks gives the arrays back exactly.
/// (MaskExportDaemonTests checks the daemon writes exactly these arrays.)
final class MaskExportGoldenTests: XCTestCase {
    private struct Golden: Decodable {
        struct Shape: Decodable { let layers, heads, tokens, headDim: Int }
        struct Point: Decodable {
            let estimator: String
            let queryBlockSize, blockSize: Int
            let kvNumBlocks, kvIndices, fullKvNumBlocks, fullKvIndices: [Int32]
            let output: [Float]      // (L, H, T, D)
        }
        let shape: Shape
        /// The file holding HF's Q, K, V (the flex golden's).
        let projections: String
        let points: [Point]
    }

    private struct Projections: Decodable {
        let queries, keys, values: [Float]     // (L, H, T, D)
    }

    /// `masks[l][h]` from the four `BlockMask` arrays.
    private func masks(_ p: Golden.Point, _ s: Golden.Shape, geometry g: TileGeometry) -> [[TileMask]] {
        let nq = g.queryBlocks, nk = g.keyBlocks
        return (0..<s.layers).map { l in
            (0..<s.heads).map { h in
                var mask = TileMask(geometry: g)
                for i in 0..<nq {
                    let slot = (l * s.heads + h) * nq + i
                    for n in 0..<Int(p.kvNumBlocks[slot]) { mask.keep(queryBlock: i, keyBlock: Int(p.kvIndices[slot * nk + n])) }
                    for n in 0..<Int(p.fullKvNumBlocks[slot]) { mask.keep(queryBlock: i, keyBlock: Int(p.fullKvIndices[slot * nk + n])) }
                }
                return mask
            }
        }
    }

    func testBlockSparseAttentionOnTheExportedMasksEqualsFlexAttention() throws {
        let url = ModelGoldenCase.fixtures.appendingPathComponent("analysis/mask_export_tiny-peaked_english.json")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        let qkv = try JSONDecoder().decode(Projections.self, from: Data(contentsOf: url.deletingLastPathComponent()
            .appendingPathComponent(golden.projections)))
        let s = golden.shape
        let (t, d) = (s.tokens, s.headDim)
        XCTAssertEqual(golden.points.map(\.estimator), ["meanPool", "meanPool", "quest", "quest"])
        for p in golden.points {
            let g = TileGeometry(tokens: t, queryBlockSize: p.queryBlockSize, keyBlockSize: p.blockSize)
            let label = "\(p.estimator) \(p.queryBlockSize)×\(p.blockSize)"
            let rebuilt = masks(p, s, geometry: g)
            let flex = try FlexBlockMask(masks: rebuilt)
            XCTAssertEqual(flex.kvNumBlocks, p.kvNumBlocks, label)
            XCTAssertEqual(flex.kvIndices, p.kvIndices, label)
            XCTAssertEqual(flex.fullKvNumBlocks, p.fullKvNumBlocks, label)
            XCTAssertEqual(flex.fullKvIndices, p.fullKvIndices, label)
            XCTAssertLessThan(rebuilt.joined().reduce(0) { $0 + $1.keptTiles }, s.layers * s.heads * g.visibleTiles, "\(label) prunes tiles")
            var output = [Float](repeating: .nan, count: s.layers * s.heads * t * d)                 // (L, H, T, D)
            let workspace = BlockSparseWorkspace(tokens: t, headDim: d, queryBlockSize: p.queryBlockSize)
            qkv.queries.withUnsafeBufferPointer { qp in
                qkv.keys.withUnsafeBufferPointer { kp in
                    qkv.values.withUnsafeBufferPointer { vp in
                        output.withUnsafeMutableBufferPointer { op in
                            for l in 0..<s.layers {
                                for h in 0..<s.heads {
                                    let at = (l * s.heads + h) * t * d
                                    let head = HeadProjections(q: qp.baseAddress! + at, k: kp.baseAddress! + at, v: vp.baseAddress! + at,
                                                               rowStride: d, tokens: t, headDim: d)
                                    let fallback = BlockSparseAttention.attend(head, mask: rebuilt[l][h], scale: 1 / Float(d).squareRoot(),
                                                                               out: op.baseAddress! + at, ldOut: d, workspace: workspace)
                                    XCTAssertEqual(fallback, 0, "\(label) layer \(l) head \(h): no row falls back")
                                }
                            }
                        }
                    }
                }
            }
            let worst = zip(output, p.output).reduce(0.0) { max($0, Double(abs($1.0 - $1.1))) }
            XCTAssertLessThanOrEqual(worst, 1e-5, "\(label): BlockSparseAttention vs flex_attention on the exported masks")
        }
    }
}
