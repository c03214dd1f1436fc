import Foundation
import XCTest
import Kernels
@testable import AttentionAnalysis

/// The golden of `Tests/Fixtures/analysis/generate_flex_golden.py`: PyTorch's compiled
/// `flex_attention` run with `BlockMask.from_kv_blocks` on masks in `FlexBlockMask`'s layout
/// (meanPool coverage 0.8 and quest topK 2 at Bq = Bk = 4 and 8 on HF's Q, K of tiny-peaked
/// english, T = 52; no decision near its boundary). The Swift estimators give the same four
/// arrays exactly, and `BlockSparseAttention` on those masks reproduces flex_attention's output
/// (L, H, T, D) within 1e-5.
final class FlexGoldenTests: XCTestCase {
    private struct Golden: Decodable {
        struct Shape: Decodable { let layers, heads, tokens, headDim: Int }
        struct Point: Decodable {
            let estimator, selection: String
            let value: Double
            let blockSize: Int
            let kvNumBlocks, kvIndices, fullKvNumBlocks, fullKvIndices: [Int32]
            let output: [Float]      // (L, H, T, D)
        }
        let shape: Shape
        let queries, keys, values: [Float]     // (L, H, T, D)
        let points: [Point]
    }

    func testBlockSparseAttentionEqualsFlexAttentionOnTheExportedMasks() throws {
        let url = ModelGoldenCase.fixtures.appendingPathComponent("analysis/flex_tiny-peaked_english.json")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        let (l, h, t, d) = (golden.shape.layers, golden.shape.heads, golden.shape.tokens, golden.shape.headDim)
        XCTAssertEqual(golden.points.count, 4)
        for p in golden.points {
            let g = TileGeometry(tokens: t, queryBlockSize: p.blockSize, keyBlockSize: p.blockSize)
            let estimator: TileEstimator = p.estimator == "quest" ? .quest : .meanPool
            let selection: TileSelection = p.selection == "topK" ? .topK(Int(p.value)) : .coverage(p.value)
            let label = "\(p.estimator) \(p.selection) \(p.value) B \(p.blockSize)"
            var masks: [[TileMask]] = []
            var output = [Float](repeating: .nan, count: l * h * t * d)                         // (L, H, T, D)
            let workspace = BlockSparseWorkspace(tokens: t, headDim: d, queryBlockSize: p.blockSize)
            try golden.queries.withUnsafeBufferPointer { qp in
                try golden.keys.withUnsafeBufferPointer { kp in
                    try golden.values.withUnsafeBufferPointer { vp in
                        try output.withUnsafeMutableBufferPointer { op in
                            for layer in 0..<l {
                                var row: [TileMask] = []
                                for head in 0..<h {
                                    let at = (layer * h + head) * t * d
                                    let qk = HeadQueriesKeys(q: qp.baseAddress! + at, k: kp.baseAddress! + at, rowStride: d,
                                                             tokens: t, headDim: d)
                                    let mask = try estimator.estimate(qk, geometry: g, selection: selection).mask
                                    row.append(mask)
                                    let projections = HeadProjections(q: qp.baseAddress! + at, k: kp.baseAddress! + at,
                                                                      v: vp.baseAddress! + at, rowStride: d, tokens: t, headDim: d)
                                    BlockSparseAttention.attend(projections, mask: mask, scale: 1 / Float(d).squareRoot(),
                                                                out: op.baseAddress! + at, ldOut: d, workspace: workspace)
                                }
                                masks.append(row)
                            }
                        }
                    }
                }
            }
            let flex = try FlexBlockMask(masks: masks)
            XCTAssertEqual(flex.kvNumBlocks, p.kvNumBlocks, label)
            XCTAssertEqual(flex.kvIndices, p.kvIndices, label)
            XCTAssertEqual(flex.fullKvNumBlocks, p.fullKvNumBlocks, label)
            XCTAssertEqual(flex.fullKvIndices, p.fullKvIndices, label)
            let kept = masks.joined().reduce(0) { $0 + $1.keptTiles }
            XCTAssertLessThan(kept, l * h * g.visibleTiles, "\(label) prunes tiles")
            let worst = zip(output, p.output).reduce(0.0) { max($0, Double(abs($1.0 - $1.1))) }
            XCTAssertLessThanOrEqual(worst, 1e-5, "\(label): BlockSparseAttention vs flex_attention")
        }
    }
}
