/// `evaluateCorpus`'s result members (§10), besides the analysis fields of §8.
public struct EvaluateCorpusResult: Codable, Equatable, Sendable {
    /// The resolved window length and stride, tokens.
    public var maxLength: Int
    public var stride: Int
    /// Windows of the plan.
    public var windows: Int
    /// Windows read back from the history instead of computed (a resumed evaluation).
    public var windowsReused: Int
    /// The guide's `n_tokens`: Σ over windows of `trg_len − 1`.
    public var tokensScored: Int
    /// Next-token predictions in the windows' losses.
    public var predictionsScored: Int
    public var dense: CorpusDense
    /// One per `settings[i]` of the request, in order.
    public var settings: [CorpusSettingResult]
    /// Only with `perWindow: true`.
    public var perWindow: [CorpusWindowResult]?

    public init(maxLength: Int, stride: Int, windows: Int, windowsReused: Int, tokensScored: Int, predictionsScored: Int,
                dense: CorpusDense, settings: [CorpusSettingResult], perWindow: [CorpusWindowResult]? = nil) {
        self.maxLength = maxLength
        self.stride = stride
        self.windows = windows
        self.windowsReused = windowsReused
        self.tokensScored = tokensScored
        self.predictionsScored = predictionsScored
        self.dense = dense
        self.settings = settings
        self.perWindow = perWindow
    }
}

/// The dense model over the corpus.
public struct CorpusDense: Codable, Equatable, Sendable {
    /// Nats per token (the guide's weighted mean).
    public var nll: Double
    public var perplexity: Double

    public init(nll: Double, perplexity: Double) {
        self.nll = nll
        self.perplexity = perplexity
    }
}

/// One setting over the corpus.
public struct CorpusSettingResult: Codable, Equatable, Sendable {
    /// The setting as evaluated (defaults filled in).
    public var setting: PruningSetting
    /// Nats per token, weighted as the dense NLL.
    public var nll: Double
    public var perplexity: Double
    /// `nll − dense.nll` with its 95% interval over windows (§10 evaluateCorpus).
    public var deltaNLL: Stat
    /// Mean over the scored predictions of KL(dense ‖ pruned) of the next-token distributions, nats.
    public var outputKL: Double
    /// Share of the scored predictions with the same argmax.
    public var top1Agreement: Double
    /// Pruned / visible (layer, head, query, key block) of the pruned passes over every window's
    /// rows; `1 − prunedBlockFraction` is the computed fraction of attention (§10).
    public var prunedBlockFraction: Double

    public init(setting: PruningSetting, nll: Double, perplexity: Double, deltaNLL: Stat, outputKL: Double, top1Agreement: Double,
                prunedBlockFraction: Double) {
        self.setting = setting
        self.nll = nll
        self.perplexity = perplexity
        self.deltaNLL = deltaNLL
        self.outputKL = outputKL
        self.top1Agreement = top1Agreement
        self.prunedBlockFraction = prunedBlockFraction
    }
}

/// One window's values (`perWindow: true`). Means are over the window's scored predictions and
/// null when it scores none.
public struct CorpusWindowResult: Codable, Equatable, Sendable {
    public var index: Int
    /// Corpus tokens `[begin, end)`.
    public var begin: Int
    public var end: Int
    /// The guide's `trg_len`.
    public var targetLength: Int
    /// Predictions scored in this window.
    public var predictions: Int
    /// The guide's weight of this window's loss, `trg_len − 1`.
    public var weight: Int
    /// Dense loss (mean NLL over the scored predictions), nats.
    public var denseNLL: Double?
    /// Σ of the dense NLL over the scored predictions, nats (what the totals combine).
    public var denseNLLSum: Double
    public var settings: [CorpusWindowSetting]

    public init(index: Int, begin: Int, end: Int, targetLength: Int, predictions: Int, weight: Int, denseNLL: Double?,
                denseNLLSum: Double, settings: [CorpusWindowSetting]) {
        self.index = index
        self.begin = begin
        self.end = end
        self.targetLength = targetLength
        self.predictions = predictions
        self.weight = weight
        self.denseNLL = denseNLL
        self.denseNLLSum = denseNLLSum
        self.settings = settings
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(begin, forKey: .begin)
        try c.encode(end, forKey: .end)
        try c.encode(targetLength, forKey: .targetLength)
        try c.encode(predictions, forKey: .predictions)
        try c.encode(weight, forKey: .weight)
        try c.encode(denseNLL, forKey: .denseNLL)
        try c.encode(denseNLLSum, forKey: .denseNLLSum)
        try c.encode(settings, forKey: .settings)
    }
}

/// One setting on one window.
public struct CorpusWindowSetting: Codable, Equatable, Sendable {
    /// Pruned loss, nats; null when the window scores nothing.
    public var nll: Double?
    /// Mean output KL over the window's scored predictions, nats; null likewise.
    public var outputKL: Double?
    /// Share of the window's scored predictions with the same argmax; null likewise.
    public var top1Agreement: Double?
    /// Σ of the pruned NLL over the window's scored predictions, nats.
    public var nllSum: Double
    /// Σ of the output KL over the window's scored predictions, nats.
    public var outputKLSum: Double
    /// Scored predictions with the same argmax.
    public var top1Agreements: Int
    /// The pruned pass's pruned and visible (layer, head, query, key block) over all the window's rows.
    public var prunedBlocks: Int
    public var visibleBlocks: Int

    public init(nll: Double?, outputKL: Double?, top1Agreement: Double?, nllSum: Double, outputKLSum: Double,
                top1Agreements: Int, prunedBlocks: Int, visibleBlocks: Int) {
        self.nll = nll
        self.outputKL = outputKL
        self.top1Agreement = top1Agreement
        self.nllSum = nllSum
        self.outputKLSum = outputKLSum
        self.top1Agreements = top1Agreements
        self.prunedBlocks = prunedBlocks
        self.visibleBlocks = visibleBlocks
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(nll, forKey: .nll)
        try c.encode(outputKL, forKey: .outputKL)
        try c.encode(top1Agreement, forKey: .top1Agreement)
        try c.encode(nllSum, forKey: .nllSum)
        try c.encode(outputKLSum, forKey: .outputKLSum)
        try c.encode(top1Agreements, forKey: .top1Agreements)
        try c.encode(prunedBlocks, forKey: .prunedBlocks)
        try c.encode(visibleBlocks, forKey: .visibleBlocks)
    }
}

/// `runs/list` summary of an `evaluateCorpus` run.
public struct CorpusDigest: Codable, Equatable, Sendable {
    public var windows: Int
    public var tokensScored: Int
    public var perplexity: Double
    /// Settings evaluated.
    public var settings: Int

    public init(windows: Int, tokensScored: Int, perplexity: Double, settings: Int) {
        self.windows = windows
        self.tokensScored = tokensScored
        self.perplexity = perplexity
        self.settings = settings
    }
}
