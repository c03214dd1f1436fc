import AttentionAnalysis
import Foundation
import GPT2
import Kernels

/// `--tiles-forward`: the whole forward pass (LM head included) of a random gpt2-small in memory
/// at T tokens, dense against block-sparse (`ForwardOptions.attentionTileMasks`, Bq = Bk = 64,
/// each layer's masks chosen from that pass's own Q and K), interleaved run by run. Prints median
/// seconds of the pass and of its attention step (`ForwardOutput.attentionSeconds` plus the mask
/// choice `tileMaskSeconds`), the medians of the paired ratios to dense, and the mean
/// computedFraction of the masks.
func runTileForwardBench(runs: Int, threads: Int, tokenCount: Int) throws {
    let model = GPT2Model(weights: randomWeights(config: .gpt2Small), threads: threads)
    let t = min(tokenCount, model.config.nPositions)
    let tokens = benchTokens(count: t, vocabularySize: model.config.vocabSize)
    let geometry = TileGeometry(tokens: t, queryBlockSize: 64, keyBlockSize: 64)
    let variants: [(String, TileEstimator, TileSelection)] = [
        ("streaming4_w256", .streaming(sinkTokens: 4), .window(256)), ("meanPool_cov0.9", .meanPool, .coverage(0.9)),
        ("quest_top4", .quest, .topK(4)),
    ]
    var denseTimes: [Double] = [], denseAttention: [Double] = []
    var times = [[Double]](repeating: [], count: variants.count)
    var ratios = [[Double]](repeating: [], count: variants.count)
    var attentionRatios = [[Double]](repeating: [], count: variants.count)
    var maskShares = [[Double]](repeating: [], count: variants.count)
    var fractions = [Double](repeating: 0, count: variants.count)
    for run in 0...runs {
        var denseOut: ForwardOutput?
        let dense = try seconds { denseOut = try model.forward(tokens: tokens) }
        if run > 0 {
            denseTimes.append(dense)
            denseAttention.append(denseOut!.attentionSeconds)
        }
        for (index, (_, estimator, selection)) in variants.enumerated() {
            let chosen = FractionTally()
            var options = ForwardOptions()
            options.attentionTileMasks = { _, qk in
                let masks = try (0..<qk.heads).map { try estimator.estimate(qk.head($0), geometry: geometry, selection: selection).mask }
                chosen.add(masks)
                return masks
            }
            var sparseOut: ForwardOutput?
            let sparse = try seconds { sparseOut = try model.forward(tokens: tokens, options: options) }
            if run > 0 {
                times[index].append(sparse)
                ratios[index].append(sparse / dense)
                attentionRatios[index].append((sparseOut!.attentionSeconds + sparseOut!.tileMaskSeconds) / denseOut!.attentionSeconds)
                maskShares[index].append(sparseOut!.tileMaskSeconds / denseOut!.attentionSeconds)
            }
            fractions[index] = chosen.mean
        }
    }
    print("tiles_forward T=\(t) threads=\(threads) dense_median_s=\(fmt(median(denseTimes))) "
        + "dense_attention_median_s=\(fmt(median(denseAttention)))")
    for (index, (name, _, _)) in variants.enumerated() {
        print("tiles_forward T=\(t) variant=\(name) computed_fraction=\(fmt(fractions[index])) median_s=\(fmt(median(times[index]))) "
            + "ratio_to_dense=\(fmt(median(ratios[index]))) attention_ratio=\(fmt(median(attentionRatios[index]))) "
            + "mask_choice_over_dense_attention=\(fmt(median(maskShares[index])))")
    }
}

/// Mean `computedFraction` of the masks of one pass (the hook runs on the calling thread).
private final class FractionTally {
    private var sum = 0.0, count = 0
    func add(_ masks: [TileMask]) {
        for m in masks { sum += m.computedFraction; count += 1 }
    }
    var mean: Double { count == 0 ? 0 : sum / Double(count) }
}
