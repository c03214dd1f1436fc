import XCTest
import Kernels
@testable import AttentionAnalysis
import SyntheticAttention

/// `TilePointAccumulator` (the classic fields of a tile point): with Bq = 1 the oracle's tiles are
/// the per-row rule, so every classic field equals `SweepAccumulator`'s on the same attention —
/// two independent implementations of §11 — and a hand-worked case pins `seedKL` of a tile mask.
final class TilePointAccumulatorTests: XCTestCase {
    private let tokens = 45, heads = 3
    private lazy var layers = (0..<2).map { SyntheticAttention.layer(heads: heads, tokens: tokens, seed: UInt64(7 + $0)) }

    private func tileSelection(_ s: SweepSetting) -> TileSelection {
        switch s.selection {
        case .threshold: return .threshold(s.value)
        case .coverage: return .coverage(s.value)
        case .topK: return .topK(Int(s.value))
        case .relativeThreshold: return .relativeThreshold(s.value)
        }
    }

    private func close(_ a: Double, _ b: Double, _ what: String) {
        XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), what)
    }

    func testOracleWithOneQueryPerTileIsThePerRowRule() throws {
        let settings = SweepSetting.grid(selection: .threshold, values: [0.05, 0.01], blockSizes: [4, 8])
            + SweepSetting.grid(selection: .coverage, values: [0.9], blockSizes: [8], keep: KeepPolicy(keepSink: true))
            + SweepSetting.grid(selection: .topK, values: [2], blockSizes: [5], keep: KeepPolicy(keepLocal: true))
            + SweepSetting.grid(selection: .relativeThreshold, values: [1, 4], blockSizes: [4], keep: KeepPolicy(keepSink: true))
        let acc = try SweepAccumulator(points: settings, tokens: tokens, heads: heads, layers: 2, seedEpsilon: 1e-6, threadCount: 1)
        for (l, layer) in layers.enumerated() { try layer.withUnsafeBufferPointer { try acc.consume(layer: l, attention: $0) } }
        let perRow = try acc.result()
        for (setting, want) in zip(settings, perRow) {
            let g = TileGeometry(tokens: tokens, queryBlockSize: 1, keyBlockSize: setting.blockSize)
            var tiles = TilePointAccumulator(seedEpsilon: 1e-6)
            for (l, layer) in layers.enumerated() {
                layer.withUnsafeBufferPointer { all in
                    for h in 0..<heads {
                        let head = UnsafeBufferPointer(rebasing: all[(h * tokens * tokens)..<((h + 1) * tokens * tokens)])
                        let scores = OracleTiles.scores(attention: head, geometry: g, selection: tileSelection(setting))
                        tiles.add(layer: l, kept: scores.mask(tileSelection(setting), keepDiagonal: setting.keep.keepLocal,
                                                              keepSink: setting.keep.keepSink),
                                  pure: scores.mask(tileSelection(setting), keepDiagonal: false), attention: head, headDim: 8,
                                  estimatorMultiplyAdds: 0)
                    }
                }
            }
            let got = tiles.result(selection: setting.selection, blockSize: setting.blockSize, value: setting.value)
            let label = "\(setting)"
            XCTAssertEqual(got.point.fullyPrunedRows, want.fullyPrunedRows, label)
            close(got.point.prunedBlockFraction, want.prunedBlockFraction, "\(label) prunedBlockFraction")
            close(got.point.seedPrunedFraction, want.seedPrunedFraction, "\(label) seedPrunedFraction")
            close(got.point.prunedMass, want.prunedMass, "\(label) prunedMass")
            close(got.point.attentionKL, want.attentionKL, "\(label) attentionKL")
            close(got.point.seedKL, want.seedKL, "\(label) seedKL")
            for (a, b) in zip(got.point.layers, want.layers) {
                close(a.attentionKL, b.attentionKL, "\(label) layer \(a.layer) attentionKL")
                close(a.seedKL, b.seedKL, "\(label) layer \(a.layer) seedKL")
                XCTAssertEqual(a.fullyPrunedRows, b.fullyPrunedRows, label)
            }
            close(got.recall, 1 - want.prunedMass, "\(label) recall")
        }
    }

    /// T = 3, Bq = 2, Bk = 2, one head. Tiles: (0,0) partial diagonal, (1,0) full, (1,1) partial.
    /// Pure = kept = {(0,0), (1,1)}. Row 2 = [0.5, 0.25, 0.25]: keeps key 2 only, m = 0.25.
    /// seedKL(ε) row 2 = 0.5·ln(0.5/ε) + 0.25·ln(0.25/ε) + 0.25·ln(0.25/1) (Q[2] = 1); rows 0, 1 keep all (0).
    func testHandWorkedTileSeedKL() {
        let eps = 1e-6
        let a: [Float] = [1, 0, 0,
                          0.5, 0.5, 0,
                          0.5, 0.25, 0.25]
        let g = TileGeometry(tokens: 3, queryBlockSize: 2, keyBlockSize: 2)
        var mask = TileMask(geometry: g)
        mask.keep(queryBlock: 0, keyBlock: 0)
        mask.keep(queryBlock: 1, keyBlock: 1)
        var acc = TilePointAccumulator(seedEpsilon: eps)
        a.withUnsafeBufferPointer { acc.add(layer: 0, kept: mask, pure: mask, attention: $0, headDim: 4, estimatorMultiplyAdds: 7) }
        let r = acc.result(selection: .topK, blockSize: 2, value: 1)
        let row2 = 0.5 * log(0.5 / eps) + 0.25 * log(0.25 / eps) + 0.25 * log(0.25)
        XCTAssertEqual(r.point.seedKL, row2 / 3, accuracy: 1e-12)
        XCTAssertEqual(r.recall, (1 + 1 + 0.25) / 3, accuracy: 1e-15)
        XCTAssertEqual(r.point.attentionKL, -log(0.25) / 3, accuracy: 1e-15)
        // Visible (q, j): row 0: 1, row 1: 1, row 2: 2 → 4; row 2 prunes block 0.
        XCTAssertEqual(r.point.prunedBlockFraction, 1.0 / 4, accuracy: 1e-15)
        // All (q, j) = 3·2 = 6, kept visible 3 → seedPrunedFraction = 3/6.
        XCTAssertEqual(r.point.seedPrunedFraction, 0.5, accuracy: 1e-15)
        XCTAssertEqual(r.point.fullyPrunedRows, 0)
        XCTAssertEqual(r.tileDensity, 2.0 / 3)
        XCTAssertEqual(r.estimatorMultiplyAdds, 7)
        // Computed entries: tiles (0,0) 2·2 + (1,1) 1·1 = 5 of T(T+1)/2 = 6.
        XCTAssertEqual(r.computedFraction, 5.0 / 6, accuracy: 1e-15)
    }
}
