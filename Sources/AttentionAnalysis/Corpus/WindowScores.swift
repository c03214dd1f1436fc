import Kernels

/// What one window of a corpus evaluation contributes: sums over its scored predictions
/// (`CorpusWindow.scoredRows`), dense and per pruning setting. Sums, not means, so windows
/// combine exactly in any grouping; stored per window so an evaluation can resume.
public struct WindowScores: Codable, Equatable, Sendable {
    public var window: CorpusWindow
    /// `Σ −ln softmax(z_p)[label]` of the dense run over the scored rows, nats (Float64).
    public var denseNLLSum: Double
    /// One per setting, in the request's order.
    public var settings: [SettingWindowScores]

    public init(window: CorpusWindow, denseNLLSum: Double, settings: [SettingWindowScores]) {
        self.window = window
        self.denseNLLSum = denseNLLSum
        self.settings = settings
    }

    /// The guide's per-window loss: the dense mean over the scored predictions, nats; nil for a
    /// window that scores nothing (a last window of one token).
    public var denseMeanNLL: Double? { window.predictions > 0 ? denseNLLSum / Double(window.predictions) : nil }
}

/// One pruning setting on one window, against the dense run, over the scored rows.
public struct SettingWindowScores: Codable, Equatable, Sendable {
    /// `Σ −ln softmax(y_p)[label]` of the pruned run, nats.
    public var nllSum: Double
    /// `Σ KL(softmax(z_p) ‖ softmax(y_p))`, nats.
    public var outputKLSum: Double
    /// Scored rows whose argmax (first on ties) is the same in both runs.
    public var top1Agreements: Int
    /// The pruned pass's visible (layer, head, query, key block) quadruples over all the window's
    /// rows, and how many of them the rule pruned (`AttentionIntervention.prunedBlocks`): the
    /// work the pass skipped.
    public var prunedBlocks: Int
    public var visibleBlocks: Int

    public init(nllSum: Double, outputKLSum: Double, top1Agreements: Int, prunedBlocks: Int = 0, visibleBlocks: Int = 0) {
        self.nllSum = nllSum
        self.outputKLSum = outputKLSum
        self.top1Agreements = top1Agreements
        self.prunedBlocks = prunedBlocks
        self.visibleBlocks = visibleBlocks
    }
}

/// Scores one window's logits: the dense run's once, then each pruned run's against it.
///
/// - Important: `score(prunedLogits:)` may be called from any thread; it uses the reference's
///   `threadCount` threads itself.
public struct WindowLogitsScorer: Sendable {
    public let window: CorpusWindow
    private let reference: DenseLogitsReference

    /// - Parameters:
    ///   - tokens: the window's tokens (`window.length` of them): row `p` predicts `tokens[p + 1]`.
    ///   - denseLogits: the dense run's logits `(W, V)`, row-major, W = `window.length`.
    public init(window: CorpusWindow, tokens: [Int], denseLogits: [Float], vocabularySize: Int,
                threadCount: Int = ParallelChunks.defaultThreads) throws {
        guard tokens.count == window.length else {
            throw AnalysisError.invalidDimension(field: "tokens", value: tokens.count, accepted: "the window's \(window.length) tokens")
        }
        self.window = window
        reference = try DenseLogitsReference(logits: denseLogits, tokens: tokens, vocabularySize: vocabularySize,
                                             threadCount: threadCount)
    }

    /// The dense run's NLL summed over the scored rows, nats.
    public var denseNLLSum: Double {
        var total = 0.0
        for p in window.scoredRows { total += reference.nextTokenNLL(row: p, logits: reference.logits, summary: reference.rows[p]) }
        return total
    }

    /// A pruned run's logits `(W, V)` against the dense run's, over the scored rows.
    public func score(prunedLogits: [Float]) throws -> SettingWindowScores {
        let v = reference.vocabularySize, rows = window.scoredRows
        guard prunedLogits.count == window.length * v else {
            throw AnalysisError.logitsShapeMismatch(field: "pruned logits (W, V)", expected: window.length * v, actual: prunedLogits.count)
        }
        // Per scored row: KL, pruned NLL, agreement; written by position, summed in order.
        var kl = [Double](repeating: 0, count: rows.count)
        var nll = [Double](repeating: 0, count: rows.count)
        var agrees = [Bool](repeating: false, count: rows.count)
        let reference = self.reference
        reference.logits.withUnsafeBufferPointer { full in
            prunedLogits.withUnsafeBufferPointer { part in
                kl.withUnsafeMutableBufferPointer { klOut in
                    nll.withUnsafeMutableBufferPointer { nllOut in
                        agrees.withUnsafeMutableBufferPointer { agreeOut in
                            let fullBase = full.baseAddress!, partBase = part.baseAddress!
                            let klBase = klOut.baseAddress!, nllBase = nllOut.baseAddress!, agreeBase = agreeOut.baseAddress!
                            forEachPositionChunk(positions: rows.count, threads: reference.threadCount) { i in
                                let p = rows.lowerBound + i
                                let denseRow = reference.rows[p]
                                let result = comparePosition(full: fullBase + p * v, pruned: partBase + p * v, count: v,
                                                             fullRow: denseRow)
                                klBase[i] = result.kl
                                nllBase[i] = result.prunedRow.logSumExp - Double(partBase[p * v + reference.tokens[p + 1]])
                                agreeBase[i] = result.prunedRow.argmax == denseRow.argmax
                            }
                        }
                    }
                }
            }
        }
        return SettingWindowScores(nllSum: nll.reduce(0, +), outputKLSum: kl.reduce(0, +),
                                   top1Agreements: agrees.reduce(0) { $0 + ($1 ? 1 : 0) })
    }
}

extension DenseLogitsReference {
    /// `lse(z_p) − z_p[tokens[p + 1]]`, nats.
    func nextTokenNLL(row p: Int, logits: [Float], summary: LogitsRowSummary) -> Double {
        summary.logSumExp - Double(logits[p * vocabularySize + tokens[p + 1]])
    }
}
