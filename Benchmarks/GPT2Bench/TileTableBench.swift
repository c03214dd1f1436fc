import AttentionAnalysis
import Foundation
import GPT2
import Kernels

/// `--tile-table`: recall against computedFraction for the oracle and every estimator on one
/// model's own dense pass (Q, K and attention of every layer and head), Bq = Bk = each block
/// size. Tokens are `(37·t + 11) mod V` (no tokenizer needed). One `tile_table` line per point.
func runTileTable(directory: URL, tokenCount: Int, blockSizes: [Int], threads: Int) throws {
    let model = GPT2Model(weights: try GPT2Checkpoint.load(directory: directory).weights, threads: threads)
    let t = min(tokenCount, model.config.nPositions), v = model.config.vocabSize
    let tokens = (0..<t).map { ($0 * 37 + 11) % v }
    var queries: [[Float]] = [], keys: [[Float]] = [], attention: [[Float]] = []     // L × (H, T, D) / (H, T, T)
    var options = ForwardOptions()
    options.computeLogits = false
    options.queryKeyObserver = { _, qk in
        queries.append(qk.copyQueries())
        keys.append(qk.copyKeys())
    }
    options.attentionObserver = { _, probs in attention.append(Array(probs)) }
    _ = try model.forward(tokens: tokens, options: options)
    let h = model.config.nHead, d = model.config.headDim
    for block in blockSizes {
        let g = TileGeometry(tokens: t, queryBlockSize: block, keyBlockSize: block)
        let coverage: [TileSelection] = [0.5, 0.8, 0.9, 0.95, 0.99].map { .coverage($0) }
        var cases: [(String, TileEstimator?, [TileSelection])] = [
            ("oracle", nil, coverage), ("meanPool", .meanPool, coverage),
            ("lastQueries16", .lastQueries(count: 16), [1, 2, 4, 8, 16].map { .topK($0) }),
            ("quest", .quest, [1, 2, 3, 4, 6].map { .topK($0) }),
            ("streaming4", .streaming(sinkTokens: 4), [8, 16, 32, 64].map { .window($0) }),
        ]
        if block % 4 == 0 { cases.insert(("antidiagonal4", .antidiagonal(stride: 4), coverage), at: 2) }
        for (name, estimator, selections) in cases {
            for selection in selections {
                var metrics = TileMetricsAccumulator()
                for l in 0..<attention.count {
                    for head in 0..<h {
                        try attention[l].withUnsafeBufferPointer { a in
                            let exact = UnsafeBufferPointer(rebasing: a[(head * t * t)..<((head + 1) * t * t)])   // (T, T)
                            if let estimator {
                                let e = try queries[l].withUnsafeBufferPointer { qp in
                                    try keys[l].withUnsafeBufferPointer { kp in
                                        try estimator.estimate(HeadQueriesKeys(q: qp.baseAddress! + head * t * d,
                                                                               k: kp.baseAddress! + head * t * d,
                                                                               rowStride: d, tokens: t, headDim: d),
                                                               geometry: g, selection: selection)
                                    }
                                }
                                metrics.add(mask: e.mask, attention: exact, headDim: d, estimatorMultiplyAdds: e.multiplyAdds)
                            } else {
                                let mask = try OracleTiles.mask(attention: exact, geometry: g, selection: selection)
                                metrics.add(mask: mask, attention: exact, headDim: d)
                            }
                        }
                    }
                }
                print(String(format: "tile_table tokens=%d block=%d estimator=%@ selection=%@ tile_density=%.4f computed_fraction=%.4f recall=%.4f recall_p5=%.4f attention_kl=%.4f estimator_cost=%.4f",
                             t, block, name, "\(selection)", metrics.tileDensity, metrics.computedFraction, metrics.recall,
                             metrics.recallP5, metrics.attentionKL, metrics.estimatorCostFraction))
            }
        }
    }
}
