import XCTest
import Kernels
@testable import AttentionAnalysis

/// With one-query tiles (Bq = 1) the oracle is the per-row rule: on HF's attention of the model
/// fixtures, its tile metrics reproduce the sweep's numbers for every rule and keep policy —
/// recall = 1 − prunedMass, the mask's attentionKL = attentionKL, fallback rows = fullyPrunedRows,
/// and the pruned (q, j) pairs (kept tiles, fallback rows counted whole) = prunedBlockFraction.
final class OneQueryTileSweepTests: XCTestCase {
    func testOracleWithOneQueryTilesIsThePerRowSweep() throws {
        var checked = 0
        for (model, name) in [("tiny-peaked", "english"), ("tiny-legacy", "mixed")] {
            let golden = try ModelGoldenCase.load(model: model, case: name)
            let attention = try golden.huggingFaceOutputs().attention              // (L, H, T, T)
            let (l, h, t) = (golden.shape.layers, golden.shape.heads, golden.shape.tokens)
            let points: [(SelectionRule, TileSelection, Double)] = [
                (.threshold, .threshold(0.05), 0.05), (.threshold, .threshold(0.2), 0.2), (.coverage, .coverage(0.9), 0.9),
                (.coverage, .coverage(0.5), 0.5), (.topK, .topK(2), 2),
                (.relativeThreshold, .relativeThreshold(1), 1), (.relativeThreshold, .relativeThreshold(4), 4),
            ]
            for blockSize in [4, 5, 16] {
                for keep in [KeepPolicy.none, KeepPolicy(keepSink: true, keepLocal: true)] {
                    let sweepPoints = points.map { SweepSetting(selection: $0.0, blockSize: blockSize, value: $0.2, keep: keep) }
                    let sweep = try SweepAccumulator(points: sweepPoints, tokens: t, heads: h, layers: l, seedEpsilon: 1e-12)
                    for layer in 0..<l {
                        try Array(golden.layer(layer, of: attention)).withUnsafeBufferPointer { try sweep.consume(layer: layer, attention: $0) }
                    }
                    let results = try sweep.result()
                    let g = TileGeometry(tokens: t, queryBlockSize: 1, keyBlockSize: blockSize)
                    for ((_, selection, _), want) in zip(points, results) {
                        var metrics = TileMetricsAccumulator()
                        var prunedPairs = 0
                        for head in 0..<(l * h) {
                            try Array(attention[(head * t * t)..<((head + 1) * t * t)]).withUnsafeBufferPointer { a in
                                let mask = try OracleTiles.mask(attention: a, geometry: g, selection: selection, keep: keep)
                                metrics.add(mask: mask, attention: a, headDim: 1)
                                for q in 0..<t where !mask.fallsBack(query: q) {
                                    prunedPairs += g.visibleKeyBlocks(query: q) - mask.keptKeyBlocks(queryBlock: q).count
                                }
                            }
                        }
                        let label = "\(golden.label) B \(blockSize) \(selection) \(keep)"
                        XCTAssertEqual(metrics.fallbackRows, want.fullyPrunedRows, label)
                        XCTAssertEqual(Double(prunedPairs) / Double(metrics.visibleTiles), want.prunedBlockFraction,
                                       accuracy: 1e-12, label)
                        XCTAssertEqual(1 - metrics.recall, want.prunedMass, accuracy: 1e-9, label)
                        XCTAssertEqual(metrics.attentionKL, want.attentionKL, accuracy: 1e-9 * max(1, want.attentionKL), label)
                        checked += 1
                    }
                }
            }
        }
        XCTAssertEqual(checked, 2 * 3 * 2 * 7)
    }
}
