/// One window of a sliding-window perplexity evaluation: corpus tokens `[begin, end)`.
///
/// HuggingFace's guide ("Perplexity of fixed-length models") passes the window's tokens as
/// `input_ids` and as `labels` with every label but the last `targetLength` set to −100; the
/// model shifts the labels by one, so the window's first label is never scored. Positions are
/// corpus token indices; lengths are tokens.
public struct CorpusWindow: Codable, Equatable, Sendable {
    /// 0-based position of the window in the plan.
    public var index: Int
    /// First corpus token of the window.
    public var begin: Int
    /// One past the last corpus token of the window.
    public var end: Int
    /// The guide's `trg_len = end − prev_end`: the labels left unmasked (the last ones).
    public var targetLength: Int

    public init(index: Int, begin: Int, end: Int, targetLength: Int) {
        self.index = index
        self.begin = begin
        self.end = end
        self.targetLength = targetLength
    }

    /// Tokens in the window, `end − begin`.
    public var length: Int { end - begin }

    /// Window-relative index of the first label the loss scores: the labels `length −
    /// targetLength …` are unmasked, and label 0 has no prediction (the shift).
    public var firstScoredLabel: Int { max(1, length - targetLength) }

    /// Window-relative logits rows whose next-token prediction the loss scores: row `p`
    /// predicts label `p + 1`. `targetLength` rows, or `targetLength − 1` when the window has no
    /// overlap with the previous one (the first window, or every window when stride = maxLength).
    public var scoredRows: Range<Int> { (firstScoredLabel - 1)..<(length - 1) }

    /// Predictions the loss averages over (`scoredRows.count`).
    public var predictions: Int { scoredRows.count }

    /// The weight the guide gives the window's mean loss, `num_loss_tokens = num_valid_tokens −
    /// batch_size = targetLength − 1`; also what the guide adds to its token count `n_tokens`.
    /// It equals `predictions` only for a window without overlap (then one label is lost to the
    /// shift); a window that overlaps its predecessor scores `targetLength` labels but is
    /// weighted by `targetLength − 1`.
    public var guideWeight: Int { targetLength - 1 }
}

/// The guide's windows over a corpus of `tokenCount` tokens:
/// `for begin in range(0, seq_len, stride): end = min(begin + max_length, seq_len);
/// trg_len = end − prev_end; …; prev_end = end; if end == seq_len: break`.
public struct SlidingWindowPlan: Equatable, Sendable {
    /// Corpus length, tokens.
    public let tokenCount: Int
    /// Tokens per window (at most the model's context).
    public let maxLength: Int
    /// Tokens the window moves by, `1…maxLength`.
    public let stride: Int
    public let windows: [CorpusWindow]

    /// - Throws: `AnalysisError.invalidDimension` for a corpus under 2 tokens, `maxLength < 2`,
    ///   or a stride outside `1…maxLength` (a larger stride would skip tokens).
    public init(tokenCount: Int, maxLength: Int, stride: Int) throws {
        guard tokenCount >= 2 else {
            throw AnalysisError.invalidDimension(field: "tokens", value: tokenCount, accepted: "a corpus of at least 2 tokens")
        }
        guard maxLength >= 2 else {
            throw AnalysisError.invalidDimension(field: "maxLength", value: maxLength, accepted: "an integer ≥ 2 (tokens per window)")
        }
        guard stride >= 1, stride <= maxLength else {
            throw AnalysisError.invalidDimension(field: "stride", value: stride, accepted: "an integer in 1…\(maxLength) (maxLength)")
        }
        self.tokenCount = tokenCount
        self.maxLength = maxLength
        self.stride = stride
        var windows: [CorpusWindow] = []
        var previousEnd = 0
        var begin = 0
        while begin < tokenCount {
            let end = min(begin + maxLength, tokenCount)
            windows.append(CorpusWindow(index: windows.count, begin: begin, end: end, targetLength: end - previousEnd))
            previousEnd = end
            if end == tokenCount { break }
            begin += stride
        }
        self.windows = windows
    }

    /// The guide's `n_tokens`: `Σ guideWeight` over the windows.
    public var guideTokenCount: Int { windows.reduce(0) { $0 + $1.guideWeight } }

    /// Next-token predictions scored over all windows (each corpus token at most once).
    public var predictionCount: Int { windows.reduce(0) { $0 + $1.predictions } }
}
