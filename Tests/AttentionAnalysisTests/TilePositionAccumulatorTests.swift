import XCTest
import Kernels
@testable import AttentionAnalysis
import SyntheticAttention

/// `TilePositionAccumulator` (`perPositionKL` on the tile path): with Bq = 1 the oracle's tiles
/// are the per-row rule, so its values equal the per-row `PerPositionAccumulator`'s on the same
/// attention (two implementations of §11), and a hand-worked 4×4 case with Bq = Bk = 2 pins a
/// partial diagonal tile and a row that falls back to dense.
final class TilePositionAccumulatorTests: XCTestCase {
    private let tokens = 37, heads = 3

    func testOracleWithOneQueryPerTileGivesThePerRowValues() throws {
        let layers = (0..<2).map { SyntheticAttention.layer(heads: heads, tokens: tokens, seed: UInt64(21 + $0)) }
        let cases: [(SweepSetting, TileSelection)] = [
            (SweepSetting(selection: .threshold, blockSize: 4, value: 0.05), .threshold(0.05)),
            (SweepSetting(selection: .coverage, blockSize: 8, value: 0.9, keep: KeepPolicy(keepSink: true)), .coverage(0.9)),
            (SweepSetting(selection: .topK, blockSize: 5, value: 2, keep: KeepPolicy(keepLocal: true)), .topK(2)),
        ]
        for (setting, selection) in cases {
            for metric in PerPositionMetric.allCases {
                let perRow = try PerPositionAccumulator(point: setting, metric: metric, segmentSize: 10, tokens: tokens, heads: heads,
                                                        layers: 2, seedEpsilon: 1e-6, threadCount: 1)
                let tiles = try TilePositionAccumulator(metric: metric, segmentSize: 10, tokens: tokens, heads: heads, layers: 2,
                                                        seedEpsilon: 1e-6, threadCount: 2)
                let g = TileGeometry(tokens: tokens, queryBlockSize: 1, keyBlockSize: setting.blockSize)
                for (l, layer) in layers.enumerated() {
                    try layer.withUnsafeBufferPointer { all in
                        try perRow.consume(layer: l, attention: all)
                        var kept: [TileMask] = [], pure: [TileMask] = []
                        for h in 0..<heads {
                            let head = UnsafeBufferPointer(rebasing: all[(h * tokens * tokens)..<((h + 1) * tokens * tokens)])
                            let scores = OracleTiles.scores(attention: head, geometry: g, selection: selection)
                            kept.append(scores.mask(selection, keepDiagonal: setting.keep.keepLocal, keepSink: setting.keep.keepSink))
                            pure.append(scores.mask(selection, keepDiagonal: false))
                        }
                        try tiles.consume(layer: l, kept: kept, pure: pure, attention: all)
                    }
                }
                let want = try perRow.result(), got = try tiles.result()
                for (a, b) in zip(got.layers, want.layers) {
                    XCTAssertEqual(a.values.count, tokens)
                    for (q, (x, y)) in zip(a.values, b.values).enumerated() {
                        XCTAssertEqual(x, y, accuracy: 1e-9 * max(1, abs(y)), "\(setting) \(metric) layer \(a.layer) q \(q)")
                    }
                    XCTAssertEqual(a.segments?.map(\.end), b.segments?.map(\.end))
                }
            }
        }
    }

    /// One head, T = 4, Bq = Bk = 2. Rows (causal):
    ///   q0: [1]            q1: [0.5, 0.5]
    ///   q2: [0.1, 0.1, 0.8]  q3: [0.4, 0.4, 0.1, 0.1]
    /// Tiles kept: (0,0) and (1,1) (the diagonal, partial); (1,0) pruned. Rows 0, 1 keep all:
    /// m = 1. Row 2 keeps key 2: m = 0.8; row 3 keeps keys 2, 3: m = 0.2. A second mask keeps
    /// only (1,0): row 0 and 1 lose every visible key and fall back to dense (m = 1).
    func testHandWorkedTiles() throws {
        let a: [Float] = [1, 0, 0, 0,
                          0.5, 0.5, 0, 0,
                          0.1, 0.1, 0.8, 0,
                          0.4, 0.4, 0.1, 0.1]
        let g = TileGeometry(tokens: 4, queryBlockSize: 2, keyBlockSize: 2)
        var diagonal = TileMask(geometry: g)
        diagonal.keep(queryBlock: 0, keyBlock: 0)
        diagonal.keep(queryBlock: 1, keyBlock: 1)
        var offDiagonal = TileMask(geometry: g)
        offDiagonal.keep(queryBlock: 1, keyBlock: 0)
        func values(_ metric: PerPositionMetric, _ mask: TileMask) throws -> [Double] {
            let acc = try TilePositionAccumulator(metric: metric, tokens: 4, heads: 1, layers: 1, seedEpsilon: 1e-6, threadCount: 1)
            try a.withUnsafeBufferPointer { try acc.consume(layer: 0, kept: [mask], pure: [mask], attention: $0) }
            return try acc.result().layers[0].values
        }
        let pruned = try values(.prunedMass, diagonal)
        for (x, y) in zip(pruned, [0, 0, 0.2, 0.8]) { XCTAssertEqual(x, y, accuracy: 1e-7) }
        let kl = try values(.attentionKL, diagonal)
        for (x, y) in zip(kl, [0, 0, -log(0.8), -log(0.2)]) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        XCTAssertEqual(kl[0].sign, .plus, "a row that keeps everything reports +0, not −0")
        let fallback = try values(.prunedMass, offDiagonal)
        for (x, y) in zip(fallback, [0, 0, 0.8, 0.2]) { XCTAssertEqual(x, y, accuracy: 1e-7) }
        // seedKL of row 3 under the diagonal mask, by hand: Q = [0, 0, 0.5, 0.5] clamped to ε,
        // P = A's row: Σ P (ln P − ln Q') = 0.4 ln(0.4/ε)·2 + 0.1 ln(0.1/0.5)·2 (future keys none).
        let seed = try values(.seedKL, diagonal)
        let eps = 1e-6
        XCTAssertEqual(seed[3], 2 * 0.4 * log(0.4 / eps) + 2 * 0.1 * log(0.1 / 0.5), accuracy: 1e-5)
        XCTAssertEqual(seed[0], 0, accuracy: 1e-12)
    }

    func testMasksThatDoNotFitAreRefused() throws {
        let acc = try TilePositionAccumulator(metric: .prunedMass, tokens: 4, heads: 2, layers: 1)
        let a = [Float](repeating: 0.25, count: 2 * 16)
        let mask = TileMask(geometry: TileGeometry(tokens: 4, queryBlockSize: 2, keyBlockSize: 2), keepingAllVisible: true)
        XCTAssertThrowsError(try a.withUnsafeBufferPointer { try acc.consume(layer: 0, kept: [mask], pure: [mask], attention: $0) })
        let wrongT = TileMask(geometry: TileGeometry(tokens: 5, queryBlockSize: 2, keyBlockSize: 2), keepingAllVisible: true)
        XCTAssertThrowsError(try a.withUnsafeBufferPointer {
            try acc.consume(layer: 0, kept: [wrongT, wrongT], pure: [wrongT, wrongT], attention: $0)
        })
        XCTAssertThrowsError(try acc.result(), "layer 0 was never consumed")
    }
}
