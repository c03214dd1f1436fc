import Foundation
import XCTest
import Kernels
import GPT2
@testable import AttentionAnalysis

/// Goldens written by `Tests/Fixtures/analysis/generate_tile_goldens.py`: `tile_reference.py`
/// (float64 loops) fed HuggingFace's own Q, K and attention of the tiny-peaked fixture, for the
/// oracle and every estimator on tiles 4×4, 8×8, 8×4 and 1×4.
///
/// Rule: the kept tiles of every query block equal the reference's, except in blocks the
/// reference marks `near` (a decision within 1e-4 relative of its boundary, where the Swift
/// Float32 scores may decide the other way; lastQueries decides per head, so a near head is near
/// in all its blocks). Points without near blocks: metrics within 1e-6 relative, counts exact.
/// Multiply-adds are exact everywhere.
final class TileGoldenTests: XCTestCase {
    private struct Golden: Decodable {
        struct Shape: Decodable { let layers, heads, tokens, headDim: Int }
        struct Metrics: Decodable {
            let tileDensity, computedFraction, recall, recallP5, attentionKL, estimatorCostFraction: Double
            let estimatorMultiplyAdds, fallbackRows: Int
        }
        struct Point: Decodable {
            let estimator: String
            let selection: String
            let value: Double
            let queryBlockSize, keyBlockSize: Int
            let keepSink, keepLocal: Bool
            let stride, lastQueries, sinkTokens: Int?
            /// (L·H) × Nq bit masks: bit j = key block j kept.
            let masks: [[UInt64]]
            /// (L·H) × the near query blocks.
            let near: [[Int]]
            let metrics: Metrics
        }
        let `case`: String
        let shape: Shape
        let queries: [Float]     // (L, H, T, D)
        let keys: [Float]        // (L, H, T, D)
        let points: [Point]
    }

    private func tileSelection(_ p: Golden.Point) -> TileSelection {
        switch p.selection {
        case "threshold": return .threshold(p.value)
        case "coverage": return .coverage(p.value)
        case "topK": return .topK(Int(p.value))
        case "relativeThreshold": return .relativeThreshold(p.value)
        default: return .window(Int(p.value))
        }
    }

    private func estimator(_ p: Golden.Point) -> TileEstimator? {
        switch p.estimator {
        case "meanPool": return .meanPool
        case "antidiagonal": return .antidiagonal(stride: p.stride!)
        case "lastQueries": return .lastQueries(count: p.lastQueries!)
        case "quest": return .quest
        case "streaming": return .streaming(sinkTokens: p.sinkTokens!)
        default: return nil
        }
    }

    func testEveryEstimatorMatchesTheReferenceOnHuggingFaceQueriesKeysAndAttention() throws {
        let fixtures = ModelGoldenCase.fixtures
        var exactPoints = 0, comparedBlocks = 0
        for name in ["english", "mixed"] {
            let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf:
                fixtures.appendingPathComponent("analysis/tiles_tiny-peaked_\(name).json")))
            let file = try SafetensorsFile(url: fixtures.appendingPathComponent("reference/tiny-peaked/\(name).safetensors"))
            let attention = try withExtendedLifetime(file) { Array(try file.floatTensor("attentions").buffer) }   // (L, H, T, T)
            let (l, h, t, d) = (golden.shape.layers, golden.shape.heads, golden.shape.tokens, golden.shape.headDim)
            XCTAssertEqual(attention.count, l * h * t * t)
            XCTAssertGreaterThanOrEqual(golden.points.count, 100)
            for p in golden.points {
                let g = TileGeometry(tokens: t, queryBlockSize: p.queryBlockSize, keyBlockSize: p.keyBlockSize)
                let label = "\(name) \(p.estimator) \(p.selection) \(p.value) \(p.queryBlockSize)×\(p.keyBlockSize) stride \(p.stride ?? 0)"
                var metrics = TileMetricsAccumulator()
                for head in 0..<(l * h) {
                    let exact = Array(attention[(head * t * t)..<((head + 1) * t * t)])                 // (T, T)
                    let mask: TileMask, cost: Int
                    if let e = estimator(p) {
                        let estimate = try golden.queries.withUnsafeBufferPointer { qp in
                            try golden.keys.withUnsafeBufferPointer { kp in
                                try e.estimate(HeadQueriesKeys(q: qp.baseAddress! + head * t * d, k: kp.baseAddress! + head * t * d,
                                                               rowStride: d, tokens: t, headDim: d),
                                               geometry: g, selection: tileSelection(p))
                            }
                        }
                        (mask, cost) = (estimate.mask, estimate.multiplyAdds)
                    } else {
                        mask = try exact.withUnsafeBufferPointer {
                            try OracleTiles.mask(attention: $0, geometry: g, selection: tileSelection(p),
                                                 keep: KeepPolicy(keepSink: p.keepSink, keepLocal: p.keepLocal))
                        }
                        cost = 0
                    }
                    exact.withUnsafeBufferPointer { metrics.add(mask: mask, attention: $0, headDim: d, estimatorMultiplyAdds: cost) }
                    let near = Set(p.near[head])
                    for i in 0..<g.queryBlocks {
                        let bits = mask.keptKeyBlocks(queryBlock: i).reduce(UInt64(0)) { $0 | (1 << UInt64($1)) }
                        guard !near.contains(i) else { continue }   // may go either way
                        comparedBlocks += 1
                        XCTAssertEqual(bits, p.masks[head][i], "\(label): head \(head) query block \(i)")
                    }
                }
                let want = p.metrics
                XCTAssertEqual(metrics.estimatorMultiplyAdds, want.estimatorMultiplyAdds, "\(label): multiply-adds")
                guard p.near.allSatisfy(\.isEmpty) else { continue }
                exactPoints += 1
                XCTAssertEqual(metrics.fallbackRows, want.fallbackRows, label)
                for (got, expected, what) in [(metrics.tileDensity, want.tileDensity, "tileDensity"),
                                              (metrics.computedFraction, want.computedFraction, "computedFraction"),
                                              (metrics.recall, want.recall, "recall"), (metrics.recallP5, want.recallP5, "recallP5"),
                                              (metrics.attentionKL, want.attentionKL, "attentionKL"),
                                              (metrics.estimatorCostFraction, want.estimatorCostFraction, "estimatorCostFraction")] {
                    XCTAssertLessThanOrEqual(abs(got - expected), 1e-6 * max(abs(expected), 1e-12), "\(label): \(what) \(got) vs \(expected)")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(exactPoints, 200, "points compared in full")
        XCTAssertGreaterThan(comparedBlocks, 10_000)
    }
}
