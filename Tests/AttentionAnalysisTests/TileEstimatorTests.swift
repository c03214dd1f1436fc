import Foundation
import XCTest
import Kernels
@testable import AttentionAnalysis

/// Each estimator on T = 5, Bq = Bk = 2 (query blocks {0,1}, {2,3}, {4}; key blocks the same),
/// D = 1 so every dot product is one product. Visible tiles: (0,0); (1,0), (1,1); (2,0), (2,1),
/// (2,2); the diagonal tiles (0,0), (1,1), (2,2) are always kept, so each case decides (1,0),
/// (2,0) and (2,1). Where stated, the oracle on the exact attention of the same Q, K decides
/// differently: an estimator that looked at the attention would fail there.
final class TileEstimatorTests: XCTestCase {
    private let g = TileGeometry(tokens: 5, queryBlockSize: 2, keyBlockSize: 2)
    private let ln2 = Float(log(2.0)), ln3 = Float(log(3.0))

    private func estimate(_ estimator: TileEstimator, q: [Float], k: [Float], d: Int = 1, geometry: TileGeometry? = nil,
                          _ selection: TileSelection) throws -> TileEstimate {
        try TileTestSupport.withHead(q: q, k: k, headDim: d) {
            try estimator.estimate($0, geometry: geometry ?? g, selection: selection)
        }
    }

    private func oracle(q: [Float], k: [Float], _ selection: TileSelection) throws -> [[Int]] {
        let a = TileTestSupport.exactAttention(q: q, k: k, headDim: 1)
        return TileTestSupport.kept(try a.withUnsafeBufferPointer {
            try OracleTiles.mask(attention: $0, geometry: g, selection: selection, keep: KeepPolicy(keepLocal: true))
        })
    }

    // MARK: meanPool

    /// Q = (.3, −.7, ln3, ln3, ln2), K = (1.5, .5, 3, −3, 1).
    /// Pooled: q̄ = (−.2, ln3, ln2); k̄ = (1, 0, 1).
    /// Block 1: logits ln3·(1, 0) → (3, 1)/4 = (.75, .25).
    /// Block 2: logits ln2·(1, 0, 1) → (2, 1, 2)/5 = (.4, .2, .4).
    /// threshold .3 prunes (2,1) (.2). The exact attention decides otherwise: row 4 ∝
    /// (2^1.5, 2^.5, 2^3, 2^−3, 2) puts .56 on key 2 (keeps (2,1)) and only .20 at most in (2,0);
    /// rows 2, 3 ∝ (3^1.5, 3^.5, 3^3, …) put at most .15 in (1,0): the oracle prunes (1,0), (2,0).
    func testMeanPool() throws {
        let q: [Float] = [0.3, -0.7, ln3, ln3, ln2], k: [Float] = [1.5, 0.5, 3, -3, 1]
        let (scores, cost) = TileTestSupport.withHead(q: q, k: k, headDim: 1) { MeanPoolEstimator.scores($0, geometry: g) }
        for (i, j, want) in [(0, 0, 1.0), (1, 0, 0.75), (1, 1, 0.25), (2, 0, 0.4), (2, 1, 0.2), (2, 2, 0.4)] {
            XCTAssertEqual(scores[i, j], want, accuracy: 1e-6, "p̂(\(i), \(j))")
        }
        XCTAssertEqual(cost, 2 * 5 * 1 + 6 * 1, "pooling 2·T·D + D per visible tile")
        let e = try estimate(.meanPool, q: q, k: k, .threshold(0.3))
        XCTAssertEqual(TileTestSupport.kept(e.mask), [[0, 0], [1, 0], [1, 1], [2, 0], [2, 2]])
        XCTAssertEqual(e.multiplyAdds, 16)
        XCTAssertEqual(try oracle(q: q, k: k, .threshold(0.3)), [[0, 0], [1, 1], [2, 1], [2, 2]],
                       "the exact attention decides the opposite on all three: meanPool must not have read it")
    }

    // MARK: antidiagonal

    /// S = 2, scale 1/(√1·2). Q = (0, 0, 1, 1, 2), K = (ln3, ln3, 0, 0, 5).
    /// Reduced row 0 (q0, q1) sees column 0 only: P̂ = 1 → tile (0,0) = 1.
    /// Row 1 (q2, q3): R[1,0] = (q3·k0 + q2·k1)/2 = ln3, R[1,1] = (q3·k2 + q2·k3)/2 = 0 → (.75, .25).
    /// Row 2 (q4 only, at s = 1): R[2,0] = q4·k1/2 = ln3, R[2,1] = q4·k3/2 = 0, R[2,2] has no term
    /// (q5 does not exist) → (.75, .25, 0).
    /// coverage .7 keeps (1,0) and (2,0). The exact row 4 ∝ (9, 9, 1, 1, e^10): the oracle keeps
    /// only the diagonal (2,2) there.
    func testAntidiagonal() throws {
        let q: [Float] = [0, 0, 1, 1, 2], k: [Float] = [ln3, ln3, 0, 0, 5]
        let (scores, cost) = TileTestSupport.withHead(q: q, k: k, headDim: 1) {
            AntidiagonalEstimator.scores($0, geometry: g, stride: 2)
        }
        for (i, j, want) in [(0, 0, 1.0), (1, 0, 0.75), (1, 1, 0.25), (2, 0, 0.75), (2, 1, 0.25), (2, 2, 0)] {
            XCTAssertEqual(scores[i, j], want, accuracy: 1e-6, "score(\(i), \(j))")
        }
        XCTAssertEqual(cost, 3 * 3 * 2 * 1, "one chunk of the 3 reduced rows × 3 columns × S·D")
        let e = try estimate(.antidiagonal(stride: 2), q: q, k: k, .coverage(0.7))
        XCTAssertEqual(TileTestSupport.kept(e.mask), [[0, 0], [1, 0], [1, 1], [2, 0], [2, 2]])
        XCTAssertEqual(try oracle(q: q, k: k, .coverage(0.7)), [[0, 0], [1, 0], [1, 1], [2, 2]],
                       "the exact attention drops (2,0): antidiagonal must not have read it")
    }

    /// With S = 1 the reduced grid is the attention itself: the same tiles as the oracle's
    /// coverage (mass is scale-free). Random Q, K; 13 tokens; Bq = 3, Bk = 2.
    func testAntidiagonalStrideOneIsTheOracle() throws {
        let t = 13, d = 4
        let geometry = TileGeometry(tokens: t, queryBlockSize: 3, keyBlockSize: 2)
        let q = TileTestSupport.random(t * d, seed: 3, scale: 1.5), k = TileTestSupport.random(t * d, seed: 4, scale: 1.5)
        let a = TileTestSupport.exactAttention(q: q, k: k, headDim: d)
        var pruned = 0
        for selection in [TileSelection.coverage(0.8), .coverage(0.95), .topK(2)] {
            let e = try estimate(.antidiagonal(stride: 1), q: q, k: k, d: d, geometry: geometry, selection)
            let o = try a.withUnsafeBufferPointer {
                try OracleTiles.mask(attention: $0, geometry: geometry, selection: selection, keep: KeepPolicy(keepLocal: true))
            }
            XCTAssertEqual(TileTestSupport.kept(e.mask), TileTestSupport.kept(o), "\(selection)")
            pruned += geometry.visibleTiles - e.mask.keptTiles
        }
        XCTAssertGreaterThan(pruned, 0, "the case prunes something")
    }

    // MARK: lastQueries

    /// Last 2 queries: q3 = 1, q4 = 0; K = (ln5, 0, 0, 0, 7).
    /// Row 3 ∝ (5, 1, 1, 1) → (.625, .125, .125, .125); row 4 uniform (.2 × 5).
    /// Vertical v = (row3 + row4)/2 = (.4125, .1625, .1625, .1625, .1).
    /// Slash by offset q − k: s(0) = (.125 + .2)/2 = .1625, s(1) = .1625, s(2) = .1625,
    /// s(3) = (.625 + .2)/2 = .4125, s(4) = .1.
    /// topK 1: column 0 → tiles (0,0), (1,0), (2,0); offset 3 → (q3,k0) in (1,0), (q4,k1) in
    /// (2,0). (2,1) is pruned.
    func testLastQueries() throws {
        let q: [Float] = [9, -9, 9, 1, 0], k: [Float] = [Float(log(5.0)), 0, 0, 0, 7]
        let e = try estimate(.lastQueries(count: 2), q: q, k: k, .topK(1))
        XCTAssertEqual(TileTestSupport.kept(e.mask), [[0, 0], [1, 0], [1, 1], [2, 0], [2, 2]])
        XCTAssertEqual(e.multiplyAdds, 2 * 5 * 1, "n·T·D: rows 3 and 4 against all 5 keys")
        // threshold .3 keeps column 0 and offset 3 only: the same tiles; .15 keeps columns 0…3 and
        // offsets 0…3: every visible tile but none forced by key 4 (column 4 at .1 is out).
        XCTAssertEqual(TileTestSupport.kept(try estimate(.lastQueries(count: 2), q: q, k: k, .threshold(0.3)).mask),
                       [[0, 0], [1, 0], [1, 1], [2, 0], [2, 2]])
        XCTAssertEqual(try estimate(.lastQueries(count: 2), q: q, k: k, .threshold(0.15)).mask.keptTiles, 6)
        // Queries 0…2 never enter: changing them changes nothing.
        let other = try estimate(.lastQueries(count: 2), q: [-3, 4, 0.5, 1, 0], k: k, .topK(1))
        XCTAssertEqual(other.mask, e.mask)
    }

    /// Only the last query (q4 = 0: uniform row, v = s = .2 each) is read: topK 1 keeps column 0
    /// (tie, lowest) and offset 0 (the diagonal): (1,0) and (2,0) kept, (2,1) pruned.
    /// Q = (0, 0, −9, −9, 0), K = (ln5, 0, −1, −1, 7): the exact rows 2, 3 put ≈ all their mass on
    /// keys 2, 3, so the oracle's topK 1 keeps (1,1) and prunes (1,0).
    func testLastQueriesReadsOnlyItsQueries() throws {
        let q: [Float] = [0, 0, -9, -9, 0], k: [Float] = [Float(log(5.0)), 0, -1, -1, 7]
        let e = try estimate(.lastQueries(count: 1), q: q, k: k, .topK(1))
        XCTAssertEqual(TileTestSupport.kept(e.mask), [[0, 0], [1, 0], [1, 1], [2, 0], [2, 2]])
        XCTAssertEqual(e.multiplyAdds, 1 * 5 * 1)
        XCTAssertEqual(try oracle(q: q, k: k, .topK(1)), [[0, 0], [1, 1], [2, 0], [2, 2]],
                       "the exact attention prunes (1,0): lastQueries must not have read it")
    }

    // MARK: quest

    /// Q = (.5, −.5, ln2, −ln2, ln2), K = (1.5, 1.5, 2, −10, 0): key block minima (1.5, −10, 0),
    /// maxima (1.5, 2, 0). u(q, j) = max(q·M_j, q·m_j).
    /// q2 = ln2: u = (1.5 ln2, 2 ln2) → (2^1.5, 4)/(2^1.5 + 4) = (√2 − 1, .5858).
    /// q3 = −ln2: u = (−1.5 ln2, 10 ln2) → (2^−1.5, 1024)/… = (.000345, .99966).
    /// q4 = ln2: u = (1.5 ln2, 2 ln2, 0) → (2^1.5, 4, 1)/7.828 = (.3613, .5110, .1277).
    /// Tile = max over its queries: (1,0) = √2 − 1, (1,1) = .99966, (2,·) = q4's.
    /// topK 1 keeps (2,1), prunes (1,0) and (2,0). The exact row 4 ∝ (2^1.5, 2^1.5, 4, 2^−10, 1):
    /// tile (2,0) has more mass (5.66) than (2,1) (4.001), so the oracle keeps (2,0) instead.
    func testQuest() throws {
        let q: [Float] = [0.5, -0.5, ln2, -ln2, ln2], k: [Float] = [1.5, 1.5, 2, -10, 0]
        let (scores, cost) = TileTestSupport.withHead(q: q, k: k, headDim: 1) { QuestEstimator.scores($0, geometry: g) }
        let r = 2 * 2.0.squareRoot() + 4 + 1
        for (i, j, want) in [(0, 0, 1.0), (1, 0, 2.0.squareRoot() - 1), (1, 1, 1024 / (1024 + pow(2, -1.5))),
                             (2, 0, 2 * 2.0.squareRoot() / r), (2, 1, 4 / r), (2, 2, 1 / r)] {
            XCTAssertEqual(scores[i, j], want, accuracy: 1e-6, "ŵ(\(i), \(j))")
        }
        XCTAssertEqual(cost, 2 * 1 * (2 * 1 + 2 * 2 + 1 * 3), "2·D per (query, visible key block): 9 pairs")
        let e = try estimate(.quest, q: q, k: k, .topK(1))
        XCTAssertEqual(TileTestSupport.kept(e.mask), [[0, 0], [1, 1], [2, 1], [2, 2]])
        XCTAssertEqual(try oracle(q: q, k: k, .topK(1)), [[0, 0], [1, 1], [2, 0], [2, 2]],
                       "the exact attention keeps (2,0) over (2,1): quest must not have read it")
        // threshold .4: (1,0) = .414 stays, (2,0) = .361 goes, (2,1) = .511 stays.
        XCTAssertEqual(TileTestSupport.kept(try estimate(.quest, q: q, k: k, .threshold(0.4)).mask),
                       [[0, 0], [1, 0], [1, 1], [2, 1], [2, 2]])
    }

    /// Quest's bound is an upper bound of every q·k in the block (random Q, K, D = 3).
    func testQuestBoundsEveryDotProduct() {
        let t = 11, d = 3
        let q = TileTestSupport.random(t * d, seed: 8, scale: 2), k = TileTestSupport.random(t * d, seed: 9, scale: 2)
        let geometry = TileGeometry(tokens: t, queryBlockSize: 1, keyBlockSize: 4)
        for row in 0..<t { for j in 0..<geometry.visibleKeyBlocks(query: row) {
            let keys = geometry.keys(ofBlock: j)
            let bound = (0..<d).reduce(0.0) { sum, c in
                let lo = keys.map { k[$0 * d + c] }.min()!, hi = keys.map { k[$0 * d + c] }.max()!
                return sum + max(Double(q[row * d + c]) * Double(hi), Double(q[row * d + c]) * Double(lo))
            }
            for key in keys {
                let dot = (0..<d).reduce(0.0) { $0 + Double(q[row * d + $1]) * Double(k[key * d + $1]) }
                XCTAssertLessThanOrEqual(dot, bound + 1e-9, "q \(row) k \(key)")
            }
        } }
    }

    // MARK: streaming

    /// sink 1, window 1: (1,0) and (2,0) hold key 0 (the sink); (2,1)'s nearest pair is
    /// q4 − k3 = 1, not < 1: pruned. Nothing read, nothing costs.
    func testStreaming() throws {
        let q = [Float](repeating: .nan, count: 5), k = [Float](repeating: .nan, count: 5)
        let e = try estimate(.streaming(sinkTokens: 1), q: q, k: k, .window(1))
        XCTAssertEqual(TileTestSupport.kept(e.mask), [[0, 0], [1, 0], [1, 1], [2, 0], [2, 2]])
        XCTAssertEqual(e.multiplyAdds, 0)
        // No sink, window 2: (1,0) (gap 2 − 1 = 1) and (2,1) (gap 4 − 3 = 1) stay, (2,0) (gap 3) goes.
        XCTAssertEqual(TileTestSupport.kept(try estimate(.streaming(sinkTokens: 0), q: q, k: k, .window(2)).mask),
                       [[0, 0], [1, 0], [1, 1], [2, 1], [2, 2]])
        XCTAssertEqual(try estimate(.streaming(sinkTokens: 0), q: q, k: k, .window(4)).mask.keptTiles, 6)
        // One-token tiles: q4 keeps k0 (sink) and k3, k4 (window 2).
        let rows = TileGeometry(tokens: 5, queryBlockSize: 1, keyBlockSize: 1)
        let m = try estimate(.streaming(sinkTokens: 1), q: q, k: k, geometry: rows, .window(2)).mask
        XCTAssertEqual(m.keptKeyBlocks(queryBlock: 4), [0, 3, 4])
    }

    // MARK: validation

    /// A sweep's values on one geometry share the estimator's scores: the same estimates as one
    /// call per selection, costs included.
    func testSeveralSelectionsEqualOneCallEach() throws {
        let t = 24, d = 4
        var rng = SystemRandomNumberGenerator()
        let q = (0..<(t * d)).map { _ in Float.random(in: -1...1, using: &rng) }
        let k = (0..<(t * d)).map { _ in Float.random(in: -1...1, using: &rng) }
        let geometry = TileGeometry(tokens: t, queryBlockSize: 4, keyBlockSize: 4)
        let cases: [(TileEstimator, [TileSelection])] = [
            (.meanPool, [.coverage(0.5), .coverage(0.9), .threshold(0.2)]), (.quest, [.topK(1), .topK(3)]),
            (.antidiagonal(stride: 2), [.coverage(0.7), .topK(2)]), (.lastQueries(count: 4), [.topK(1), .topK(2)]),
            (.streaming(sinkTokens: 1), [.window(4), .window(9)]),
        ]
        for (estimator, selections) in cases {
            try TileTestSupport.withHead(q: q, k: k, headDim: d) { head in
                let together = try estimator.estimate(head, geometry: geometry, selections: selections)
                let alone = try selections.map { try estimator.estimate(head, geometry: geometry, selection: $0) }
                XCTAssertEqual(together, alone, "\(estimator)")
            }
        }
        XCTAssertThrowsError(try TileTestSupport.withHead(q: q, k: k, headDim: d) {
            try TileEstimator.quest.estimate($0, geometry: geometry, selections: [.topK(1), .window(3)])
        })
    }

    func testParametersOutOfRangeAreRefusedByName() {
        let q = [Float](repeating: 0, count: 5)
        func message(_ estimator: TileEstimator, _ selection: TileSelection) -> String {
            do { _ = try estimate(estimator, q: q, k: q, selection); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(.antidiagonal(stride: 3), .coverage(0.9)).contains("stride = 3.0"))
        XCTAssertTrue(message(.antidiagonal(stride: 3), .coverage(0.9)).contains("dividing queryBlockSize 2"))
        XCTAssertTrue(message(.lastQueries(count: 0), .topK(1)).contains("lastQueries"))
        XCTAssertTrue(message(.streaming(sinkTokens: -1), .window(2)).contains("sinkTokens"))
        XCTAssertTrue(message(.streaming(sinkTokens: 4), .topK(2)).contains("window"))
        XCTAssertTrue(message(.meanPool, .window(2)).contains("selection"))
        XCTAssertTrue(message(.quest, .coverage(1.5)).contains("(0, 1]"))
    }
}
