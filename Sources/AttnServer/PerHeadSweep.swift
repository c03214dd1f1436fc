import AttentionAnalysis
import AttnProtocol
import GPT2
import JSONRPC
import Kernels

// `pruneSweep` with `perHead` (Protocol/README.md §10): the table's one point over one input,
// scored at the attention level from the dense pass and, with `endToEnd`, by the table's pruned
// pass — the same pass `calibrate` checks its result with, so the numbers agree exactly.

extension ModelSession {
    /// The point of `table` over one input.
    /// - Important: called on the compute queue.
    func perHeadSweepOne(_ p: PruneSweepParams, table: PerHeadTable, tokens: [Int], model: LoadedModel,
                         context: RequestContext, progress: ProgressSpan) throws -> (point: SweepPointResult, extras: TilePointExtras) {
        let c = model.config, t = tokens.count, nHead = c.nHead, threads = model.model.threads
        let plan = PerHeadPlan(table: table, tokens: t)
        var accumulator = TilePointAccumulator(seedEpsilon: p.seedEpsilon)
        let estimated = Slots<Result<HeadTiles, Error>>(count: nHead)
        let queryKeys: ((Int, LayerQueriesKeys) throws -> Void)? = plan.estimator.map { _ in
            { l, qk in
                ParallelChunks.run(chunks: nHead, threads: threads) { _, h in
                    guard !context.isCancelled else { return }
                    estimated[h] = Result { try plan.estimatedTiles(layer: l, head: h, qk.head(h)) }
                }
                try context.checkCancelled()
            }
        }
        let denseShare = p.endToEnd ? 0.5 : 1.0
        let dense = try timedDensePass(model: model, tokens: tokens, needLogits: p.endToEnd, context: context,
                                       progress: progress.slice(0, denseShare), fresh: p.endToEnd, queryKeys: queryKeys) { l, a in
            let partial = Slots<Result<TilePointAccumulator, Error>>(count: nHead)
            ParallelChunks.run(chunks: nHead, threads: threads) { _, h in
                guard !context.isCancelled else { return }
                let head = UnsafeBufferPointer(rebasing: a[(h * t * t)..<((h + 1) * t * t)])   // (T, T)
                partial[h] = Result {
                    let tiles = plan.estimator == nil ? plan.oracleTiles(layer: l, head: h, attention: head) : try estimated[h]!.get()
                    var one = TilePointAccumulator(seedEpsilon: p.seedEpsilon)
                    one.add(layer: l, kept: tiles.kept, pure: tiles.pure, attention: head, headDim: c.headDim,
                            estimatorMultiplyAdds: tiles.multiplyAdds)
                    return one
                }
            }
            try context.checkCancelled()
            for h in 0..<nHead { accumulator.merge(try partial[h]!.get()) }
        }
        let label: SelectionRule = table.selection == .window ? .topK : SelectionRule(table.selection)
        let r = accumulator.result(selection: label, blockSize: table.blockSize, value: 0)
        var point = r.point
        var extras = TilePointExtras(tiles: r)
        guard p.endToEnd else { return (point, extras) }
        guard let logits = dense.logits else { throw RPCError(.internalError, "the dense pass returned no logits") }
        let reference = try DenseLogitsReference(logits: logits, tokens: tokens, vocabularySize: c.vocabSize, threadCount: threads)
        let pruned = try perHeadPrunedPass(plan, tokens: tokens, model: model, reference: reference, context: context)
        point.endToEnd = pruned.endToEnd
        extras.attentionSecondsFull = dense.attentionSeconds
        extras.attentionSecondsPruned = pruned.attentionSeconds
        extras.denseAttentionFormed = plan.estimator == nil
        progress.report(1, "pruned pass")
        return (point, extras)
    }
}
