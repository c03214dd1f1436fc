import Foundation

/// A corpus evaluation's totals, combined from its windows in plan order exactly as
/// HuggingFace's guide combines them: `nll = Σ_w loss_w · (trg_len_w − 1) / Σ_w (trg_len_w − 1)`,
/// `loss_w` the window's mean NLL over its scored predictions (`WindowScores.denseMeanNLL`).
public struct CorpusSummary: Codable, Equatable, Sendable {
    public var windows: Int
    /// The guide's `n_tokens`, `Σ (trg_len − 1)`: the weights' total.
    public var tokensScored: Int
    /// Next-token predictions in the windows' losses (each corpus token at most once).
    public var predictionsScored: Int
    /// Dense NLL, nats per token (the guide's `avg_nll`).
    public var denseNLL: Double
    /// `exp(denseNLL)`.
    public var densePerplexity: Double
    /// One per setting, in the order of the windows' `settings`.
    public var settings: [CorpusSettingSummary]
}

/// One pruning setting over the corpus.
public struct CorpusSettingSummary: Codable, Equatable, Sendable {
    /// Pruned NLL, nats per token, weighted as the dense one.
    public var nll: Double
    /// `exp(nll)`.
    public var perplexity: Double
    /// `nll − denseNLL` with the 95% interval over windows (`CorpusNLL.deltaInterval`).
    public var deltaNLL: MeanInterval
    /// Mean over the scored predictions of `KL(softmax(z_dense) ‖ softmax(z_pruned))`, nats.
    public var outputKL: Double
    /// Share of the scored predictions with the same argmax in both runs.
    public var top1Agreement: Double
    /// Σ pruned / Σ visible (layer, head, query, key block) of the pruned passes over all
    /// windows' rows (0 when nothing is visible): 1 − this is the attention work computed.
    public var prunedBlockFraction: Double
}

public enum CorpusNLL {
    /// Combines the windows of one evaluation (in plan order; every window of the plan).
    /// - Throws: `AnalysisError.mismatchedTexts` when windows hold different numbers of settings,
    ///   `.emptyList` when no window scores anything.
    public static func summarize(_ windows: [WindowScores]) throws -> CorpusSummary {
        let settingCount = windows.first?.settings.count ?? 0
        guard windows.allSatisfy({ $0.settings.count == settingCount }) else {
            throw AnalysisError.mismatchedTexts(field: "windows", reason: "windows hold different numbers of settings")
        }
        let scored = windows.filter { $0.window.guideWeight > 0 && $0.window.predictions > 0 }
        let weights = scored.map { Double($0.window.guideWeight) }
        let totalWeight = weights.reduce(0, +)
        guard totalWeight > 0 else { throw AnalysisError.emptyList(field: "windows (none scores a token)") }
        let denseMeans = scored.map { $0.denseNLLSum / Double($0.window.predictions) }
        let denseNLL = weightedMean(denseMeans, weights, total: totalWeight)
        let predictions = windows.reduce(0) { $0 + $1.window.predictions }
        let settings: [CorpusSettingSummary] = (0..<settingCount).map { s in
            let means = scored.map { $0.settings[s].nllSum / Double($0.window.predictions) }
            let nll = weightedMean(means, weights, total: totalWeight)
            let deltas = zip(means, denseMeans).map { $0 - $1 }
            let kl = windows.reduce(0.0) { $0 + $1.settings[s].outputKLSum }
            let agree = windows.reduce(0) { $0 + $1.settings[s].top1Agreements }
            let pruned = windows.reduce(0) { $0 + $1.settings[s].prunedBlocks }
            let visible = windows.reduce(0) { $0 + $1.settings[s].visibleBlocks }
            return CorpusSettingSummary(nll: nll, perplexity: exp(nll),
                                        deltaNLL: deltaInterval(deltas, weights: weights, mean: nll - denseNLL),
                                        outputKL: predictions > 0 ? kl / Double(predictions) : 0,
                                        top1Agreement: predictions > 0 ? Double(agree) / Double(predictions) : 1,
                                        prunedBlockFraction: visible > 0 ? Double(pruned) / Double(visible) : 0)
        }
        return CorpusSummary(windows: windows.count, tokensScored: windows.reduce(0) { $0 + $1.window.guideWeight },
                             predictionsScored: predictions, denseNLL: denseNLL, densePerplexity: exp(denseNLL),
                             settings: settings)
    }

    /// The 95% interval of a weighted mean of per-window differences `d_i` with weights `w_i`
    /// (the windows' `guideWeight`), around `mean` (= `Σ w_i d_i / Σ w_i`): a paired t interval
    /// `mean ∓ t(0.975, n − 1) · SE` with the weighted mean's standard error
    /// `SE² = n / (n − 1) · Σ w_i² (d_i − mean)² / (Σ w_i)²`, which is `s² / n` when the weights
    /// are equal. `n` = windows that score a token; null bounds when n = 1.
    public static func deltaInterval(_ deltas: [Double], weights: [Double], mean: Double) -> MeanInterval {
        let n = deltas.count
        guard n >= 2 else { return MeanInterval(mean: mean, lower: nil, upper: nil, n: n) }
        let total = weights.reduce(0, +)
        var sum = 0.0
        for (d, w) in zip(deltas, weights) { sum += w * w * (d - mean) * (d - mean) }
        let se = (Double(n) / Double(n - 1) * sum).squareRoot() / total
        let half = studentT975(degreesOfFreedom: n - 1) * se
        return MeanInterval(mean: mean, lower: mean - half, upper: mean + half, n: n)
    }

    private static func weightedMean(_ values: [Double], _ weights: [Double], total: Double) -> Double {
        var sum = 0.0
        for (v, w) in zip(values, weights) { sum += v * w }
        return sum / total
    }
}
