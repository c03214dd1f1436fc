import AttentionAnalysis
import AttnProtocol
import GPT2
import JSONRPC
import Kernels

// `perPositionKL` on the tile path (Protocol/README.md §10 perPositionKL, §11 tiles): per
// (layer, head) one tile mask with Bq = `queryBlockSize` and Bk = `blockSize`, decided by the
// oracle from the exact attention or by an estimator from the dense pass's Q and K — the masks
// a `pruneSweep` tile point of the same settings scores — and each row's metric of that mask.

extension PerPositionKLParams {
    /// The one tile point of this request.
    func tilePlan(tokens t: Int) -> TilePointPlan {
        TilePointPlan(geometry: TileGeometry(tokens: t, queryBlockSize: queryBlockSize, keyBlockSize: blockSize),
                      value: threshold, selection: tileSelection(threshold))
    }
}

extension ModelSession {
    /// Per-position values of the tile masks over one input, from one dense pass.
    /// - Important: called on the compute queue.
    func tilePerPosition(_ p: PerPositionKLParams, tokens: [Int], model: LoadedModel, context: RequestContext,
                         progress: ProgressSpan) throws -> PerPositionResult {
        let c = model.config, t = tokens.count, heads = c.nHead
        let plan = p.tilePlan(tokens: t), keep = p.keep
        let perHead = p.perHead?.table.map { PerHeadPlan(table: $0, tokens: t) }
        let estimator = perHead.map(\.estimator) ?? p.tileEstimator
        let accumulator = try TilePositionAccumulator(metric: p.positionMetric, segmentSize: p.segmentSize, tokens: t, heads: heads,
                                                      layers: c.nLayer, seedEpsilon: p.seedEpsilon, threadCount: model.model.threads)
        var estimated: [HeadTiles] = []   // the current layer's, set by the Q/K hook before its attention
        let queryKeys: ((Int, LayerQueriesKeys) throws -> Void)? = estimator.map { estimator in
            { l, qk in
                try context.checkCancelled()
                estimated = try (0..<heads).map { h in
                    try perHead?.estimatedTiles(layer: l, head: h, qk.head(h))
                        ?? TileChooser.estimate(estimator, plan, head: qk.head(h), keep: keep)
                }
            }
        }
        _ = try timedDensePass(model: model, tokens: tokens, needLogits: false, context: context, progress: progress,
                               queryKeys: queryKeys) { l, a in
            let tiles = estimator == nil
                ? (0..<heads).map { h in
                    let head = UnsafeBufferPointer(rebasing: a[(h * t * t)..<((h + 1) * t * t)])   // (T, T)
                    return perHead?.oracleTiles(layer: l, head: h, attention: head) ?? TileChooser.oracle(plan, attention: head, keep: keep)
                }
                : estimated
            try accumulator.consume(layer: l, kept: tiles.map(\.kept), pure: tiles.map(\.pure), attention: a)
        }
        return try accumulator.result()
    }
}
