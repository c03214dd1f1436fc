import AttentionAnalysis
import AttnProtocol
import Foundation
import GPT2
import JSONRPC
import Kernels

// `calibrate` (Protocol/README.md §10): per-head rule values to an accuracy budget. One dense
// pass per input scores every candidate value of every head at the attention level; a per-head
// budget is then met head by head, an output budget by the global allocation checked with real
// pruned passes. The result is a stored run whose `perHead` table `pruneSweep` and
// `perPositionKL` apply.

/// The digest of a calibration for `runs/list`.
struct CalibrationDigest: Encodable {
    let metric: String
    let budget: Double
    let computedFraction: Double
    let denseHeads: Int
    let outputKL: Double
}

/// One input's dense pass kept for the pruned passes.
private struct CalibrationInput {
    let tokens: [Int]
    let reference: DenseLogitsReference
}

extension ModelSession {
    func registerCalibrate(into registry: MethodRegistry) {
        registry.register("calibrate", kind: .compute, params: CalibrateParams.self, handle: { p, context in
            let model = try self.requireModel()
            let inputs = try context.timed("tokenize") { try p.input.resolve(with: model) }
            return try self.runAnalysis(method: "calibrate", params: p, inputs: inputs, model: model,
                                        cacheable: !p.force, context: context) {
                try self.calibrate(p, inputs: inputs, model: model, context: context)
            }
        })
    }

    /// - Important: called on the compute queue.
    private func calibrate(_ p: CalibrateParams, inputs: [ResolvedInput], model: LoadedModel,
                           context: RequestContext) throws -> AnalysisOutput<CalibrateResult> {
        let c = model.config, heads = c.nLayer * c.nHead
        let maxTokens = inputs.map(\.tokens.count).max() ?? 1
        let candidates = p.values ?? p.selection.calibrationCandidates(maxTokens: maxTokens, keyBlockSize: p.blockSize)
        let selections = candidates.map(p.tileSelection)
        var stats = [[HeadCandidateStats]](repeating: [HeadCandidateStats](repeating: HeadCandidateStats(), count: candidates.count),
                                           count: heads)
        var denseStats = [HeadCandidateStats](repeating: HeadCandidateStats(), count: heads)
        var kept: [CalibrationInput] = []
        let scoringShare = 0.4
        for (i, input) in inputs.enumerated() {
            let span = ProgressSpan(context: context, from: 99 * scoringShare * Double(i) / Double(inputs.count),
                                    to: 99 * scoringShare * Double(i + 1) / Double(inputs.count))
            let (perHead, dense, reference) = try scoreCandidates(p, selections: selections, tokens: input.tokens, model: model,
                                                                  context: context, progress: span)
            for h in 0..<heads {
                for k in candidates.indices { stats[h][k].merge(perHead[h][k]) }
                denseStats[h].merge(dense[h])
            }
            kept.append(CalibrationInput(tokens: input.tokens, reference: reference))
        }

        var choices: [HeadChoice]
        var probes: [CalibrationProbe] = []
        var checks: [[Int?]: [EndToEndMetrics]] = [:]   // configuration → per-input end to end
        var passes = 0
        var allocationSteps = 0, stepsTaken = 0
        let denseBelow = p.denseBelowSparsity
        /// The per-input end to end of a configuration (one pruned pass per input).
        func run(_ configuration: [Int?], progressAt fraction: Double) throws -> [EndToEndMetrics] {
            if let known = checks[configuration] { return known }
            let table = p.table(values: tableValues(configuration, candidates: candidates, layers: c.nLayer, heads: c.nHead))
            var results: [EndToEndMetrics] = []
            for input in kept {
                try context.checkCancelled()
                results.append(try perHeadPrunedPass(PerHeadPlan(table: table, tokens: input.tokens.count), tokens: input.tokens,
                                                     model: model, reference: input.reference, context: context).endToEnd)
            }
            passes += 1
            checks[configuration] = results
            ProgressSpan(context: context, from: 0, to: 99).report(min(0.99, fraction), "pruned pass \(passes)")
            return results
        }
        switch p.budget {
        case let .maxOutputKL(budget):
            let allocation = GlobalAllocation(stats: stats, denseBelowSparsity: denseBelow)
            allocationSteps = allocation.steps.count
            // At most 1 + ⌈log₂ N⌉ probes (GlobalAllocation.largestWithinBudget).
            let probesAtMost = 1 + ceilLog2(allocation.steps.count)
            var probe = 0
            let (index, _) = try GlobalAllocation.largestWithinBudget(count: allocation.steps.count, budget: budget) { n in
                probe += 1
                let configuration = allocation.configuration(steps: n)
                let fraction = scoringShare + (1 - scoringShare) * Double(probe) / Double(probesAtMost)
                let outputKL = meanOverInputs(try run(configuration, progressAt: fraction))
                    .outputKL
                probes.append(CalibrationProbe(steps: n, outputKL: outputKL,
                                               computedFraction: pooled(configuration, stats: stats, dense: denseStats).computedFraction))
                return outputKL
            }
            stepsTaken = index
            let configuration = allocation.configuration(steps: index)
            let hasSteps = Set(allocation.steps.map(\.head))
            choices = configuration.enumerated().map { h, k in
                if let k { return HeadChoice.value(k) }
                return HeadChoice.dense(hasSteps.contains(h) ? DenseReason.notAllocated : DenseReason.tooLittleSparsity)
            }
        case .maxAttentionKL, .minRecall:
            let headBudget: HeadBudget
            if case let .maxAttentionKL(v) = p.budget { headBudget = .maxAttentionKL(v) } else { headBudget = .minRecall(p.budget.value) }
            choices = stats.map { PerHeadSearch.choose($0, budget: headBudget, denseBelowSparsity: denseBelow) }
        }
        let configuration = choices.map(\.candidate)
        let perInput = try run(configuration, progressAt: 0.99)
        let check = meanOverInputs(perInput)
        let table = p.table(values: tableValues(configuration, candidates: candidates, layers: c.nLayer, heads: c.nHead))
        let overall = pooled(configuration, stats: stats, dense: denseStats)

        var wireHeads: [CalibratedHead] = []
        for h in 0..<heads {
            let s = configuration[h].map { stats[h][$0] } ?? denseStats[h]
            wireHeads.append(CalibratedHead(layer: h / c.nHead, head: h % c.nHead, value: configuration[h].map { candidates[$0] },
                                            denseReason: choices[h].denseReason?.rawValue, tileDensity: s.tileDensity,
                                            computedFraction: s.computedFraction, recall: s.recall, attentionKL: s.attentionKL))
        }
        let denseHeads = configuration.filter { $0 == nil }.count
        let withinBudget: Bool
        switch p.budget {
        case let .maxOutputKL(v): withinBudget = check.outputKL <= v
        case let .maxAttentionKL(v): withinBudget = wireHeads.allSatisfy { $0.attentionKL <= v }
        case let .minRecall(v): withinBudget = wireHeads.allSatisfy { $0.recall >= v }
        }
        let reason: String? = denseHeads < heads ? nil : budgetReason(p, choices: choices, probes: probes)
        let body = CalibrateResult(
            budget: .init(metric: p.budget.metric, value: p.budget.value, denseBelowSparsity: denseBelow),
            withinBudget: withinBudget, reason: reason, heads: wireHeads, perHead: table, denseHeads: denseHeads,
            tileDensity: overall.tileDensity, computedFraction: overall.computedFraction, recall: overall.recall,
            check: try wire(check),
            search: CalibrationSearch(method: p.budget.metric == "outputKL" ? "globalAllocation" : "perHead", candidates: candidates,
                                      allocationSteps: allocationSteps,
                                      stepsTaken: stepsTaken, prunedPasses: passes, probes: probes))
        return AnalysisOutput(body: body, digest: CalibrationDigest(metric: p.budget.metric, budget: p.budget.value,
                                                                    computedFraction: overall.computedFraction,
                                                                    denseHeads: denseHeads, outputKL: check.outputKL))
    }

    /// One input's dense pass: per (flat head, candidate) the candidate's mask scored against the
    /// exact attention, per flat head the statistics of its dense configuration (every visible tile
    /// kept, as the pruned pass computes a dense head), and the dense logits for the pruned passes.
    private func scoreCandidates(_ p: CalibrateParams, selections: [TileSelection], tokens: [Int], model: LoadedModel,
                                 context: RequestContext, progress: ProgressSpan)
        throws -> (stats: [[HeadCandidateStats]], dense: [HeadCandidateStats], reference: DenseLogitsReference) {
        let c = model.config, t = tokens.count, nHead = c.nHead, threads = model.model.threads
        let geometry = TileGeometry(tokens: t, queryBlockSize: p.queryBlockSize, keyBlockSize: p.blockSize)
        let keep = KeepPolicy(keepSink: p.keepSink, keepLocal: p.keepLocal)
        let estimator = p.tileEstimator
        let plans = selections.map { TilePointPlan(geometry: geometry, value: 0, selection: $0) }
        let all = TileMask(geometry: geometry, keepingAllVisible: true)
        var stats: [[HeadCandidateStats]] = []
        var dense: [HeadCandidateStats] = []
        // An estimator's masks of the current layer, [head][candidate], from its Q and K.
        let estimated = Slots<Result<[TileMask], Error>>(count: nHead)
        let queryKeys: ((Int, LayerQueriesKeys) throws -> Void)? = estimator.map { estimator in
            { _, qk in
                ParallelChunks.run(chunks: nHead, threads: threads) { _, h in
                    guard !context.isCancelled else { return }
                    estimated[h] = Result { try TileChooser.estimate(estimator, plans, head: qk.head(h), keep: keep).map(\.kept) }
                }
                try context.checkCancelled()
            }
        }
        let pass = try timedDensePass(model: model, tokens: tokens, needLogits: true, context: context, progress: progress,
                                      queryKeys: queryKeys) { _, a in
            let layer = Slots<[HeadCandidateStats]>(count: nHead)   // [head]: candidates, then the dense configuration
            let failures = Slots<Error>(count: nHead)
            ParallelChunks.run(chunks: nHead, threads: threads) { _, h in
                guard !context.isCancelled else { return }
                let head = UnsafeBufferPointer(rebasing: a[(h * t * t)..<((h + 1) * t * t)])   // (T, T)
                let sums = TileRowSums.make(attention: head, tokens: t, keyBlockSizes: [p.blockSize], epsilon: 1e-12,
                                            seedTerms: false)[0]
                let masks: [TileMask]
                if estimator != nil {
                    do { masks = try estimated[h]!.get() } catch { failures[h] = error; return }
                } else {
                    // The oracle's scores once per head, each candidate's rule applied to them.
                    let scores = OracleTiles.scores(attention: head, geometry: geometry, selection: selections[0])
                    masks = selections.map { scores.mask($0, keepDiagonal: keep.keepLocal, keepSink: keep.keepSink) }
                }
                layer[h] = (masks + [all]).map { mask in
                    var s = HeadCandidateStats()
                    s.add(mask: mask, sums: sums)
                    return s
                }
            }
            try context.checkCancelled()
            if let error = (0..<nHead).lazy.compactMap({ failures[$0] }).first { throw error }
            for h in 0..<nHead {
                stats.append(Array(layer[h]!.dropLast()))
                dense.append(layer[h]!.last!)
            }
        }
        guard let logits = pass.logits else { throw RPCError(.internalError, "the dense pass returned no logits") }
        let reference = try DenseLogitsReference(logits: logits, tokens: tokens, vocabularySize: c.vocabSize, threadCount: threads)
        return (stats, dense, reference)
    }
}

/// ⌈log₂ n⌉ for n ≥ 1 (0 for n ≤ 1).
private func ceilLog2(_ n: Int) -> Int {
    var bits = 0
    while (1 << bits) < n { bits += 1 }
    return bits
}

/// `[L][H]` rule values of a configuration (nil: dense).
private func tableValues(_ configuration: [Int?], candidates: [Double], layers: Int, heads: Int) -> [[Double?]] {
    (0..<layers).map { l in (0..<heads).map { h in configuration[l * heads + h].map { candidates[$0] } } }
}

/// The statistics of a configuration pooled over heads (dense heads at their dense statistics).
private func pooled(_ configuration: [Int?], stats: [[HeadCandidateStats]], dense: [HeadCandidateStats]) -> HeadCandidateStats {
    var all = HeadCandidateStats()
    for (h, k) in configuration.enumerated() { all.merge(k.map { stats[h][$0] } ?? dense[h]) }
    return all
}

/// Per field the mean over inputs, computed as `pruneSweep`'s `aggregate` computes it (so the
/// check equals a `pruneSweep` with `perHead` on the same inputs: the point itself for one input,
/// the aggregate's means for `texts`).
private func meanOverInputs(_ perInput: [EndToEndMetrics]) -> EndToEndMetrics {
    guard perInput.count > 1 else { return perInput[0] }
    let points = perInput.map {
        [SweepPointResult(selection: .threshold, blockSize: 1, threshold: 0, prunedBlockFraction: 0, seedPrunedFraction: 0,
                          prunedMass: 0, attentionKL: 0, seedKL: 0, fullyPrunedRows: 0, layers: [], endToEnd: $0)]
    }
    guard let e = (try? AcrossTexts.summarize(sweeps: points))?.first?.endToEnd else { return perInput[0] }
    var mean = EndToEndMetrics(outputKL: e.outputKL.mean, top1Agreement: e.top1Agreement.mean,
                               nllFull: e.nllFull?.mean, nllPruned: e.nllPruned?.mean)
    // The mean of the inputs' perplexities, as the aggregate has it (not exp of the mean NLL).
    mean.perplexityFull = e.perplexityFull?.mean
    mean.perplexityPruned = e.perplexityPruned?.mean
    return mean
}

/// Why every head stayed dense, in one sentence (the wording is not part of the contract).
private func budgetReason(_ p: CalibrateParams, choices: [HeadChoice], probes: [CalibrationProbe]) -> String {
    switch p.budget {
    case let .maxOutputKL(v):
        if let first = probes.filter({ $0.steps > 0 }).min(by: { $0.steps < $1.steps }) {
            return "no configuration meets maxOutputKL \(v): the smallest measured (\(first.steps) step(s)) has outputKL \(first.outputKL); every head stays dense"
        }
        return "no head can skip \(p.denseBelowSparsity) of its work with these candidates; every head stays dense"
    case .maxAttentionKL, .minRecall:
        let unmet = choices.filter { $0.denseReason == .budgetNotMet }.count
        return "\(unmet) head(s) have no candidate within \(p.budget.metric) budget \(p.budget.value) and \(choices.count - unmet) skip less than \(p.denseBelowSparsity); every head stays dense"
    }
}
