import AttentionAnalysis
import AttnProtocol
import Foundation
import GPT2
import JSONRPC
import RunStore

/// `evaluateCorpus`: HuggingFace's sliding-window perplexity of a corpus, dense and per
/// pruning setting, one window at a time; each finished window is stored in the history, so the
/// same request continues from its first missing window after a cancel, a crash or a restart.
extension ModelSession {
    func registerCorpus(into registry: MethodRegistry) {
        registry.register("evaluateCorpus", kind: .compute, params: EvaluateCorpusParams.self, handle: { given, context in
            let model = try self.requireModel()
            var p = try given.resolved(nPositions: model.config.nPositions)
            // Calibration runs are resolved to their tables first: the cache key holds the tables.
            for i in p.settings.indices {
                if let spec = p.settings[i].perHead {
                    let table = try self.resolvePerHead(spec, model: model, field: "settings[\(i)].perHead")
                    p.settings[i].perHead = .table(table)
                    p.settings[i].selection = table.selection
                    p.settings[i].blockSize = table.blockSize
                }
            }
            let text = try context.timed("tokenize") { try CorpusInput.text(of: p) }
            let tokens = context.timed("tokenize") { model.tokenizer.encode(text) }
            let field = p.path == nil ? "text" : "path"
            guard tokens.count >= 2 else {
                throw RPCError.invalidParams(field: field, value: nil, accepted: "a corpus of at least 2 tokens",
                                             message: "invalid params: `\(field)` tokenises to \(tokens.count) tokens; a corpus needs at least 2")
            }
            // The corpus text is not stored with the run (it may be 64 MiB): its token ids identify it.
            let inputs = [ResolvedInput(tokens: tokens, text: nil)]
            return try self.runAnalysis(method: "evaluateCorpus", params: p, inputs: inputs, model: model,
                                        cacheable: !p.force, context: context) { ticket in
                try self.evaluateCorpus(p, tokens: tokens, model: model, ticket: ticket, context: context)
            }
        })
    }

    /// The evaluation's identity for its stored windows: the run's cache key without `perWindow`
    /// (which changes only what is returned) and `windows` (a range's windows are the whole
    /// evaluation's windows, stored under the same key).
    private func evaluationKey(_ p: EvaluateCorpusParams, tokens: [Int], model: LoadedModel) throws -> String {
        var key = p
        key.perWindow = false
        key.windows = nil
        return try runRequest(method: "evaluateCorpus", params: key, inputs: [ResolvedInput(tokens: tokens, text: nil)],
                              model: model, clientName: nil).cacheKey
    }

    private func evaluateCorpus(_ p: EvaluateCorpusParams, tokens: [Int], model: LoadedModel, ticket: RunHistory.Ticket,
                                context: RequestContext) throws -> AnalysisOutput<EvaluateCorpusResult> {
        let c = model.config
        let plan: SlidingWindowPlan
        do {
            plan = try SlidingWindowPlan(tokenCount: tokens.count, maxLength: p.maxLength ?? c.nPositions,
                                         stride: p.stride ?? 1)
        } catch let e as AnalysisError { throw e.rpcError }
        let range = try windowRange(p.windows, plan: plan)
        let points = p.settings.map(\.point)
        // Stored windows: only with a working history, and never with `force`.
        let store = ticket.failure == nil ? history.store : nil
        let key = try evaluationKey(p, tokens: tokens, model: model)
        var scores: [WindowScores] = []
        if let given = p.computedWindows {
            // Windows computed elsewhere: checked against this plan, stored as this run's own, combined below.
            scores = try computedScores(given, plan: plan, settings: points.count, model: model)
            if let store {
                for record in scores { save(record, key: key, runID: ticket.runID, store: store) }
            }
        } else if let store, !p.force, p.windows == nil {
            // A range reads no stored windows (they would be adopted by this partial run); it stores its own.
            do {
                for data in try store.adoptCorpusWindows(key: key, runID: ticket.runID) {
                    guard scores.count < plan.windows.count,
                          let record = try? JSONParser.parse(data).decode(WindowScores.self),
                          record.window == plan.windows[scores.count], record.settings.count == points.count else { break }
                    scores.append(record)
                }
            } catch {
                logger.warning("evaluateCorpus: could not read stored windows, computing them: \(error)")
            }
        }
        let reused = p.computedWindows == nil ? scores.count : 0
        let total = plan.windows.count
        for window in plan.windows[(range.lowerBound + scores.count)..<range.upperBound] {
            try context.checkCancelled()
            let record = try scoreWindow(window, tokens: Array(tokens[window.begin..<window.end]), points: points,
                                         perHead: p.settings.map { $0.perHead?.table },
                                         model: model, context: context)
            if let store { save(record, key: key, runID: ticket.runID, store: store) }
            scores.append(record)
            let done = window.index + 1 - range.lowerBound
            context.report(percentage: Int(99 * Double(done) / Double(range.count)),
                           message: "window \(window.index + 1) of \(total)")
        }
        let summary: CorpusSummary
        do { summary = try CorpusNLL.summarize(scores) } catch let e as AnalysisError {
            guard p.windows == nil else {
                throw RPCError.invalidParams(field: "windows", value: nil, accepted: "a range with a window of weight > 0",
                                             message: "invalid params: windows \(range.lowerBound)..<\(range.upperBound) score no weighted token (every window has trg_len − 1 = 0); include a window that does")
            }
            throw e.rpcError
        }
        let settings = zip(p.settings, summary.settings).map { setting, s in
            CorpusSettingResult(setting: setting, nll: s.nll, perplexity: s.perplexity,
                                deltaNLL: Stat(mean: s.deltaNLL.mean, lower: s.deltaNLL.lower, upper: s.deltaNLL.upper, n: s.deltaNLL.n),
                                outputKL: s.outputKL, top1Agreement: s.top1Agreement, prunedBlockFraction: s.prunedBlockFraction)
        }
        let body = EvaluateCorpusResult(maxLength: plan.maxLength, stride: plan.stride, windows: total, windowsReused: reused,
                                        tokensScored: summary.tokensScored, predictionsScored: summary.predictionsScored,
                                        dense: CorpusDense(nll: summary.denseNLL, perplexity: summary.densePerplexity),
                                        settings: settings,
                                        perWindow: p.perWindow || p.windows != nil ? scores.map(windowResult) : nil)
        return AnalysisOutput(body: body, digest: CorpusDigest(windows: total, tokensScored: summary.tokensScored,
                                                               perplexity: summary.densePerplexity, settings: settings.count))
    }

    /// Stores one finished window under the evaluation's key (a failure is logged: the run goes on).
    private func save(_ record: WindowScores, key: String, runID: String, store: RunStore) {
        do {
            try store.saveCorpusWindow(key: key, ordinal: record.window.index, runID: runID,
                                       resultJSON: JSONWriter.data(try JSONValue(encoding: record)))
        } catch {
            logger.warning("evaluateCorpus: could not store window \(record.window.index): \(error)")
        }
    }

    /// `computedWindows` as the plan's window scores: -32602 naming the field when the model is
    /// another, the count is not the plan's, a record's plan fields differ from this daemon's plan,
    /// or a record has another number of settings than the request.
    private func computedScores(_ given: ComputedWindows, plan: SlidingWindowPlan, settings: Int,
                                model: LoadedModel) throws -> [WindowScores] {
        let field = "computedWindows"
        guard given.model == model.fingerprint else {
            throw RPCError.invalidParams(field: "\(field).model", value: .string(given.model),
                                         accepted: "the loaded model's fingerprint \(model.fingerprint)")
        }
        guard given.windows.count == plan.windows.count else {
            throw RPCError.invalidParams(field: "\(field).windows", value: nil,
                                         accepted: "the plan's \(plan.windows.count) window records (here \(given.windows.count))")
        }
        return try zip(given.windows, plan.windows).map { record, window in
            let at = "\(field).windows[\(window.index)]"
            let planned: [(String, Int, Int)] = [
                ("index", record.index, window.index), ("begin", record.begin, window.begin), ("end", record.end, window.end),
                ("targetLength", record.targetLength, window.targetLength), ("predictions", record.predictions, window.predictions),
                ("weight", record.weight, window.guideWeight),
            ]
            if let (name, got, want) = planned.first(where: { $0.1 != $0.2 }) {
                throw RPCError.invalidParams(field: "\(at).\(name)", value: .int(Int64(got)),
                                             accepted: "\(want) (window \(window.index) of this daemon's plan)")
            }
            guard record.settings.count == settings else {
                throw RPCError.invalidParams(field: "\(at).settings", value: nil,
                                             accepted: "\(settings) records, one per setting of the request (here \(record.settings.count))")
            }
            return WindowScores(window: window, denseNLLSum: record.denseNLLSum, settings: record.settings.map {
                SettingWindowScores(nllSum: $0.nllSum, outputKLSum: $0.outputKLSum, top1Agreements: $0.top1Agreements,
                                    prunedBlocks: $0.prunedBlocks, visibleBlocks: $0.visibleBlocks)
            })
        }
    }

    /// The plan's windows a request evaluates: all, or its `windows` range (-32602 naming
    /// `windows.end` when the range runs past the plan).
    private func windowRange(_ given: WindowRange?, plan: SlidingWindowPlan) throws -> Range<Int> {
        guard let given else { return 0..<plan.windows.count }
        guard given.end <= plan.windows.count else {
            throw RPCError.invalidParams(field: "windows.end", value: .int(Int64(given.end)),
                                         accepted: "an integer in \(given.start + 1)…\(plan.windows.count) (the plan's windows)")
        }
        return given.start..<given.end
    }

    /// One window: the dense forward pass, then one pruned pass per setting (a per-head table's
    /// pass where `perHead[i]` is set), scored on the window's scored rows. Checks cancellation between layers (inside each pass).
    private func scoreWindow(_ window: CorpusWindow, tokens: [Int], points: [SweepSetting], perHead: [PerHeadTable?], model: LoadedModel,
                             context: RequestContext) throws -> WindowScores {
        let c = model.config
        var options = ForwardOptions()
        options.checkCancellation = { try context.checkCancelled() }
        let dense = try context.timed("forward") { try model.model.forward(tokens: tokens, options: options) }
        guard let denseLogits = dense.logits else { throw RPCError(.internalError, "the dense pass returned no logits") }
        try FiniteGuard.check(denseLogits, quantity: "logits")
        let scorer = try WindowLogitsScorer(window: window, tokens: tokens, denseLogits: denseLogits, vocabularySize: c.vocabSize,
                                            threadCount: model.model.threads)
        /// Setting i's pruned pass with `pruned`, scored, with its (pruned, visible) block counts.
        func score(_ i: Int, _ pruned: ForwardOptions, blocks: () -> (pruned: Int, visible: Int)) throws -> SettingWindowScores {
            let out = try context.timed("prunedForward") { try model.model.forward(tokens: tokens, options: pruned) }
            guard let logits = out.logits else { throw RPCError(.internalError, "the pruned pass returned no logits") }
            try FiniteGuard.check(logits, quantity: "prunedLogits", point: i)
            var scores = try context.timed("compare") { try scorer.score(prunedLogits: logits) }
            (scores.prunedBlocks, scores.visibleBlocks) = blocks()
            return scores
        }
        let settings = try points.enumerated().map { i, point -> SettingWindowScores in
            if let table = perHead[i] {
                let counts = PerHeadBlockCounts(layers: c.nLayer, heads: c.nHead)
                return try score(i, perHeadOptions(PerHeadPlan(table: table, tokens: tokens.count), model: model, context: context,
                                                   counts: counts)) { (counts.prunedBlocks, counts.visibleBlocks) }
            }
            let intervention = try AttentionIntervention(point: point, heads: c.nHead, tokens: tokens.count,
                                                         threadCount: model.model.threads)
            var pruned = options
            pruned.attentionHeadIntervention = intervention.headClosure
            return try score(i, pruned) { (intervention.prunedBlocks, intervention.visibleBlocks) }
        }
        return WindowScores(window: window, denseNLLSum: scorer.denseNLLSum, settings: settings)
    }
}

/// A stored window as the protocol's per-window values.
private func windowResult(_ s: WindowScores) -> CorpusWindowResult {
    let n = s.window.predictions
    func mean(_ x: Double) -> Double? { n > 0 ? x / Double(n) : nil }
    return CorpusWindowResult(index: s.window.index, begin: s.window.begin, end: s.window.end,
                              targetLength: s.window.targetLength, predictions: n, weight: s.window.guideWeight,
                              denseNLL: s.denseMeanNLL, denseNLLSum: s.denseNLLSum,
                              settings: s.settings.map {
                                  CorpusWindowSetting(nll: mean($0.nllSum), outputKL: mean($0.outputKLSum),
                                                      top1Agreement: mean(Double($0.top1Agreements)),
                                                      nllSum: $0.nllSum, outputKLSum: $0.outputKLSum,
                                                      top1Agreements: $0.top1Agreements, prunedBlocks: $0.prunedBlocks,
                                                      visibleBlocks: $0.visibleBlocks)
                              })
}

extension PruningSetting {
    /// The library's setting (the one conversion; tile and estimator fields extend it here).
    var point: SweepSetting {
        SweepSetting(selection: SelectionRule(selection), blockSize: blockSize, value: threshold,
                     keep: KeepPolicy(keepSink: keepSink, keepLocal: keepLocal))
    }
}
