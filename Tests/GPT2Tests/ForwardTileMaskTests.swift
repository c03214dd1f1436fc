import Foundation
import XCTest
import Kernels
@testable import GPT2

/// `ForwardOptions.attentionTileMasks` (the block-sparse pass) and `queryKeyObserver` on the tiny
/// random model (L = 2, H = 2, C = 16, D = 8).
final class ForwardTileMaskTests: XCTestCase {
    private let tokens = [5, 9, 2, 33, 47, 12, 0, 18, 26, 3, 14, 40, 22, 8, 31, 6, 29]   // T = 17

    func testAllKeptMasksEqualTheDensePass() throws {
        let model = GPT2Model(weights: tinyRandomWeights(seed: 11), threads: 2)
        let t = tokens.count
        let dense = try XCTUnwrap(model.forward(tokens: tokens).logits)          // (T, V)
        // Aligned, unaligned and one-query tiles; every visible tile kept in both layers.
        for (bq, bk) in [(4, 4), (3, 5), (1, 2), (17, 17)] {
            var options = ForwardOptions()
            var calls = 0
            options.attentionTileMasks = { _, qk in
                calls += 1
                let g = TileGeometry(tokens: qk.tokens, queryBlockSize: bq, keyBlockSize: bk)
                return Array(repeating: TileMask(geometry: g, keepingAllVisible: true), count: qk.heads)
            }
            var probabilityHooks = 0
            options.attentionObserver = { _, _ in probabilityHooks += 1 }
            let sparse = try XCTUnwrap(model.forward(tokens: tokens, options: options).logits)
            XCTAssertEqual(calls, 2, "one call per layer")
            XCTAssertEqual(probabilityHooks, 0, "no probabilities exist in a block-sparse layer")
            assertClose(sparse, dense.map(Double.init), tolerance: 1e-5, "Bq \(bq) Bk \(bk), T \(t): all kept vs dense")
        }
    }

    func testHandMaskedLayerEqualsMaskedAndRenormalisedReference() throws {
        let weights = tinyRandomWeights(seed: 12)
        let model = GPT2Model(weights: weights, threads: 2)
        let t = tokens.count
        // Layer 1, head 0, Bq = Bk = 4 (query blocks {0…3}, {4…7}, {8…11}, {12…15}, {16}):
        // keep the diagonal tiles and tile (3, 0); prune (1, 0), (2, 0), (2, 1), (3, 1), (3, 2),
        // and every off-diagonal tile of block 4 except (4, 1). Head 1 keeps everything.
        // Layer 0 is dense (nil).
        let g = TileGeometry(tokens: t, queryBlockSize: 4, keyBlockSize: 4)
        var head0 = TileMask(geometry: g)
        for (i, j) in [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (3, 0), (4, 1)] { head0.keep(queryBlock: i, keyBlock: j) }
        let masks = [head0, TileMask(geometry: g, keepingAllVisible: true)]
        var options = ForwardOptions()
        options.attentionTileMasks = { layer, _ in layer == 1 ? masks : nil }
        let sparse = try XCTUnwrap(model.forward(tokens: tokens, options: options).logits)

        // The reference: dense attention, pruned entries of head 0 in layer 1 set to 0, each row
        // renormalised over what is left (no row here loses every visible key: diagonals kept).
        let want = referenceForward(weights: weights, tokens: tokens) { layer, probs in
            guard layer == 1 else { return }
            for q in 0..<t {
                var kept = 0.0
                for k in 0...q {
                    if head0.isKept(queryBlock: g.queryBlock(of: q), keyBlock: g.keyBlock(of: k)) { kept += probs[q * t + k] }
                    else { probs[q * t + k] = 0 }
                }
                for k in 0...q { probs[q * t + k] /= kept }
            }
        }
        assertClose(sparse, want.logits, tolerance: 1e-4, "block-sparse layer vs masked, renormalised reference")
        let dense = try XCTUnwrap(model.forward(tokens: tokens).logits)
        let moved = zip(sparse, dense).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(moved, 1e-3, "pruning tiles of head 0 must move the logits")
        // Positions 0…3 see only the diagonal tile (0, 0), which is kept: unchanged.
        for i in 0..<(4 * 50) { XCTAssertEqual(sparse[i], dense[i], accuracy: 1e-5, "logit \(i)") }
    }

    func testQueryKeyObserverSeesTheQueriesAndKeysOfTheProbabilities() throws {
        let model = GPT2Model(weights: tinyRandomWeights(seed: 13), threads: 2)
        let t = tokens.count, h = 2, d = 8
        var queries: [[Float]] = [], keys: [[Float]] = [], probs: [[Float]] = []
        var options = ForwardOptions()
        options.queryKeyObserver = { _, qk in
            XCTAssertEqual([qk.tokens, qk.heads, qk.headDim], [t, h, d])
            queries.append(qk.copyQueries())      // (H, T, D)
            keys.append(qk.copyKeys())            // (H, T, D)
            let view = qk.head(1)
            XCTAssertEqual(view.query(3)[2], qk.copyQueries()[(1 * t + 3) * d + 2], "head view = copy")
        }
        options.attentionObserver = { _, p in probs.append(Array(p)) }     // (H, T, T)
        _ = try model.forward(tokens: tokens, options: options)
        XCTAssertEqual(queries.count, 2)
        for l in 0..<2 { for head in 0..<h { for q in 0..<t {
            // softmax over k ≤ q of q·k / √D, from the observed Q and K, equals the pass's own row.
            let scores = (0...q).map { k in
                (0..<d).reduce(0.0) { $0 + Double(queries[l][(head * t + q) * d + $1]) * Double(keys[l][(head * t + k) * d + $1]) }
                    / Double(d).squareRoot()
            }
            let top = scores.max()!, z = scores.reduce(0.0) { $0 + exp($1 - top) }
            for k in 0...q {
                XCTAssertEqual(Double(probs[l][(head * t + q) * t + k]), exp(scores[k] - top) / z, accuracy: 1e-5,
                               "layer \(l) head \(head) q \(q) k \(k)")
            }
        } } }
    }

    func testAttentionAndTileMaskSecondsAreReported() throws {
        let model = GPT2Model(weights: tinyRandomWeights(seed: 15), threads: 2)
        let dense = try model.forward(tokens: tokens)
        XCTAssertGreaterThan(dense.attentionSeconds, 0)
        XCTAssertEqual(dense.tileMaskSeconds, 0, "no attentionTileMasks hook")
        var options = ForwardOptions()
        options.attentionTileMasks = { _, qk in
            Thread.sleep(forTimeInterval: 0.02)         // a slow "estimator": 20 ms per layer
            return Array(repeating: TileMask(geometry: TileGeometry(tokens: qk.tokens, queryBlockSize: 4, keyBlockSize: 4),
                                             keepingAllVisible: true), count: qk.heads)
        }
        let sparse = try model.forward(tokens: tokens, options: options)
        XCTAssertGreaterThanOrEqual(sparse.tileMaskSeconds, 0.04, "two layers × 20 ms")
        XCTAssertGreaterThan(sparse.attentionSeconds, 0, "the block-sparse kernels' own time")
        XCTAssertLessThan(sparse.attentionSeconds, 0.02, "the estimator's sleep is not counted as kernel time")
    }

    func testMasksThatDoNotFitAreRefused() {
        let model = GPT2Model(weights: tinyRandomWeights(seed: 14))
        var options = ForwardOptions()
        options.attentionTileMasks = { _, qk in [TileMask(geometry: TileGeometry(tokens: qk.tokens, queryBlockSize: 2, keyBlockSize: 2))] }
        XCTAssertThrowsError(try model.forward(tokens: [1, 2, 3], options: options)) { error in
            XCTAssertEqual(error as? ForwardError, .invalidTileMasks(layer: 0, reason: "1 masks for 2 heads; accepted: one per head"))
        }
        options.attentionTileMasks = { _, qk in
            Array(repeating: TileMask(geometry: TileGeometry(tokens: qk.tokens + 1, queryBlockSize: 2, keyBlockSize: 2)), count: 2)
        }
        XCTAssertThrowsError(try model.forward(tokens: [1, 2, 3], options: options)) { error in
            XCTAssertTrue("\(error)".contains("4 tokens") && "\(error)".contains("has 3"), "\(error)")
        }
    }
}
