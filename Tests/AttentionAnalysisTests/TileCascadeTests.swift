import Foundation
import XCTest
import Kernels
import GPT2
@testable import AttentionAnalysis

/// Estimators inside the real forward pass of the `tiny-peaked` fixture (L = 2, H = 4, D = 8),
/// T = 61, Bq = Bk = 8.
///
/// 1. Scored: each layer's masks are chosen in `queryKeyObserver`, which runs before that layer's
///    attention exists, and scored against the attention that follows.
/// 2. Pruned: the block-sparse cascade (`attentionTileMasks`, masks from the pruned run's own Q and
///    K) equals the dense pass with the same masks applied to its probabilities and the rows
///    renormalised (1e-5 on logits).
final class TileCascadeTests: XCTestCase {
    private let tokens = (0..<61).map { ($0 * 37 + 11) % 512 }
    private let geometry = TileGeometry(tokens: 61, queryBlockSize: 8, keyBlockSize: 8)
    private let cases: [(TileEstimator, TileSelection)] = [
        (.meanPool, .coverage(0.8)), (.antidiagonal(stride: 4), .coverage(0.8)), (.lastQueries(count: 16), .topK(2)),
        (.quest, .topK(2)), (.streaming(sinkTokens: 4), .window(16)),
    ]

    private func model() throws -> GPT2Model {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models/tiny-peaked")
        return GPT2Model(weights: try GPT2Checkpoint.load(directory: folder).weights, threads: 2)
    }

    /// Masks of every head of one layer.
    private func masks(_ estimator: TileEstimator, _ selection: TileSelection, _ qk: LayerQueriesKeys) throws
        -> (masks: [TileMask], cost: Int) {
        let estimates = try (0..<qk.heads).map { try estimator.estimate(qk.head($0), geometry: geometry, selection: selection) }
        return (estimates.map(\.mask), estimates.reduce(0) { $0 + $1.multiplyAdds })
    }

    func testEstimatorsChooseBeforeTheAttentionExistsAndAreScoredAgainstIt() throws {
        let model = try model()
        for (estimator, selection) in cases {
            var chosen: [Int: [TileMask]] = [:]
            var metrics = TileMetricsAccumulator()
            var options = ForwardOptions()
            options.computeLogits = false
            options.queryKeyObserver = { layer, qk in
                let (m, cost) = try self.masks(estimator, selection, qk)
                chosen[layer] = m
                metrics.addCost(cost)
            }
            options.attentionObserver = { layer, probs in      // (H, T, T)
                let t = self.geometry.tokens
                for (h, mask) in (chosen[layer] ?? []).enumerated() {
                    metrics.add(mask: mask, attention: UnsafeBufferPointer(rebasing: probs[(h * t * t)..<((h + 1) * t * t)]),
                                headDim: 8)
                }
            }
            _ = try model.forward(tokens: tokens, options: options)
            let label = "\(estimator) \(selection)"
            XCTAssertEqual(metrics.rowRecalls.count, 2 * 4 * 61, label)
            XCTAssertLessThan(metrics.tileDensity, 1, "\(label) prunes tiles")
            XCTAssertLessThan(metrics.computedFraction, 1, label)
            XCTAssertGreaterThan(metrics.recall, 0.3, label)
            XCTAssertLessThanOrEqual(metrics.recall, 1, label)
            XCTAssertLessThanOrEqual(metrics.recallP5, metrics.recall, label)
            XCTAssertEqual(metrics.fallbackRows, 0, "\(label): diagonal tiles are always kept")
            if case .streaming = estimator { XCTAssertEqual(metrics.estimatorMultiplyAdds, 0) }
            else { XCTAssertGreaterThan(metrics.estimatorMultiplyAdds, 0, label) }
        }
    }

    func testBlockSparseCascadeEqualsTheDensePassWithTheSameMasks() throws {
        let model = try model()
        let dense = try XCTUnwrap(model.forward(tokens: tokens).logits)
        for (estimator, selection) in cases {
            final class Chosen: @unchecked Sendable { var masks: [Int: [TileMask]] = [:] }
            let chosen = Chosen()
            var sparseOptions = ForwardOptions()
            sparseOptions.attentionTileMasks = { layer, qk in
                let m = try self.masks(estimator, selection, qk).masks
                chosen.masks[layer] = m
                return m
            }
            let sparse = try XCTUnwrap(model.forward(tokens: tokens, options: sparseOptions).logits)
            // The dense pass, the recorded masks applied after the softmax, rows renormalised.
            var denseOptions = ForwardOptions()
            let t = geometry.tokens, g = geometry
            denseOptions.attentionHeadIntervention = { layer, head, _, probs in    // (T, T)
                let mask = chosen.masks[layer]![head]
                for q in 0..<t where !mask.fallsBack(query: q) {
                    var kept = 0.0
                    for k in 0...q {
                        if mask.isKept(queryBlock: g.queryBlock(of: q), keyBlock: g.keyBlock(of: k)) { kept += Double(probs[q * t + k]) }
                        else { probs[q * t + k] = 0 }
                    }
                    for k in 0...q { probs[q * t + k] = Float(Double(probs[q * t + k]) / kept) }
                }
            }
            let masked = try XCTUnwrap(model.forward(tokens: tokens, options: denseOptions).logits)
            let label = "\(estimator) \(selection)"
            let worst = zip(sparse, masked).reduce(0.0) { max($0, Double(abs($1.0 - $1.1))) }
            XCTAssertLessThanOrEqual(worst, 1e-5, "\(label): block-sparse vs dense with the mask applied")
            let moved = zip(sparse, dense).reduce(0.0) { max($0, Double(abs($1.0 - $1.1))) }
            XCTAssertGreaterThan(moved, 1e-4, "\(label): the pruned pass differs from the dense one")
        }
    }
}
