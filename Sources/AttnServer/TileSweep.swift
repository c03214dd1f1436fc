import AttentionAnalysis
import AttnProtocol
import Foundation
import GPT2
import JSONRPC
import Kernels

// `pruneSweep` tile points (Protocol/README.md §10, "Per-row and tile points"; §11 tiles and
// estimators): per point and (layer, head) one tile mask, decided by the oracle from the exact
// attention or by an estimator from the dense pass's Q and K, scored against the exact attention;
// with `endToEnd`, a pruned pass per point that chooses its masks in the pass.

/// One tile point's rule: Bk, the rule value, and the selection on tile scores.
struct TilePointPlan {
    let geometry: TileGeometry
    let value: Double
    let selection: TileSelection
}

/// One head's tiles for one point: what the point keeps (keep policies on) and the rule's own
/// tiles (`pure`, what `seedKL` reads), and what choosing them cost.
struct HeadTiles {
    let kept: TileMask
    let pure: TileMask
    let multiplyAdds: Int
}

/// What a tile point adds to its `SweepPoint` beyond the classic fields.
struct TilePointExtras {
    let tiles: TilePointResult
    var attentionSecondsFull: Double?
    var attentionSecondsPruned: Double?
    /// The pruned pass formed the dense attention first (the oracle).
    var denseAttentionFormed: Bool?
}

extension TileRuleParams {
    /// The library's estimator; nil for `oracle`.
    var tileEstimator: TileEstimator? {
        switch estimator {
        case .oracle: return nil
        case .meanPool: return .meanPool
        case .antidiagonal: return .antidiagonal(stride: stride)
        case .lastQueries: return .lastQueries(count: lastQueries)
        case .quest: return .quest
        case .streaming: return .streaming(sinkTokens: sinkTokens)
        }
    }

    /// The rule on tile scores for value `v` (an integer for topK and window, validated).
    func tileSelection(_ v: Double) -> TileSelection {
        switch selection {
        case .threshold: return .threshold(v)
        case .coverage: return .coverage(v)
        case .topK: return .topK(Int(v))
        case .relativeThreshold: return .relativeThreshold(v)
        case .window: return .window(Int(v))
        }
    }
}

extension PruneSweepParams {
    /// The library's per-row rule that labels a tile point's `SweepPointResult`. `window` has
    /// none: its points are labelled `topK` (both take integers) and relabelled `window` on the
    /// wire (`relabel`).
    var rowSelectionLabel: SelectionRule { selection == .window ? .topK : SelectionRule(selection) }

    /// Points in the order of the result: block-size major.
    func tilePlans(tokens t: Int) -> [TilePointPlan] {
        blockSizes.flatMap { b in
            thresholds.map { v in
                TilePointPlan(geometry: TileGeometry(tokens: t, queryBlockSize: queryBlockSize, keyBlockSize: b),
                              value: v, selection: tileSelection(v))
            }
        }
    }
}

enum TileChooser {
    /// `pure` with the keep policy: tile (i, 0) under `keepSink`, the diagonal tiles under `keepLocal`.
    static func applying(_ keep: KeepPolicy, to pure: TileMask) -> TileMask {
        guard keep.keepSink || keep.keepLocal else { return pure }
        var mask = pure
        for i in 0..<pure.geometry.queryBlocks {
            if keep.keepSink { mask.keep(queryBlock: i, keyBlock: 0) }
            if keep.keepLocal { mask.keepDiagonal(queryBlock: i) }
        }
        return mask
    }

    /// An estimator's tiles from one head's Q and K.
    static func estimate(_ estimator: TileEstimator, _ plan: TilePointPlan, head qk: HeadQueriesKeys,
                         keep: KeepPolicy) throws -> HeadTiles {
        let e = try estimator.estimate(qk, geometry: plan.geometry, selection: plan.selection)
        return HeadTiles(kept: applying(keep, to: e.mask), pure: e.mask, multiplyAdds: e.multiplyAdds)
    }

    /// An estimator's tiles for several points of one geometry (one key block size): its scores
    /// computed once, each point's selection applied to them.
    static func estimate(_ estimator: TileEstimator, _ plans: [TilePointPlan], head qk: HeadQueriesKeys,
                         keep: KeepPolicy) throws -> [HeadTiles] {
        guard let geometry = plans.first?.geometry else { return [] }
        let estimates = try estimator.estimate(qk, geometry: geometry, selections: plans.map(\.selection))
        return estimates.map { HeadTiles(kept: applying(keep, to: $0.mask), pure: $0.mask, multiplyAdds: $0.multiplyAdds) }
    }

    /// The oracle's tiles from one head's exact attention (T, T).
    static func oracle(_ plan: TilePointPlan, attention: UnsafeBufferPointer<Float>, keep: KeepPolicy) -> HeadTiles {
        let scores = OracleTiles.scores(attention: attention, geometry: plan.geometry, selection: plan.selection)
        return HeadTiles(kept: scores.mask(plan.selection, keepDiagonal: keep.keepLocal, keepSink: keep.keepSink),
                         pure: scores.mask(plan.selection, keepDiagonal: false), multiplyAdds: 0)
    }

    /// Applies `mask` to one head's probabilities (T, T) in place: entries of pruned tiles become 0
    /// and each row is renormalised over what it keeps (Q of §11); fallback rows stay dense.
    static func applyInPlace(_ mask: TileMask, to probs: UnsafeMutableBufferPointer<Float>) {
        let g = mask.geometry, t = g.tokens
        for q in 0..<t where !mask.fallsBack(query: q) {
            let i = g.queryBlock(of: q)
            var kept = 0.0
            for k in 0...q {
                if mask.isKept(queryBlock: i, keyBlock: g.keyBlock(of: k)) { kept += Double(probs[q * t + k]) } else { probs[q * t + k] = 0 }
            }
            guard kept > 0 else { continue }
            for k in 0...q { probs[q * t + k] = Float(Double(probs[q * t + k]) / kept) }
        }
    }
}

/// The chosen tiles of the current layer, written by the Q/K hook and read by the attention hook
/// of the same pass (both on the pass's calling thread).
private final class LayerTiles: @unchecked Sendable {
    /// [point][head]
    var tiles: [[HeadTiles]] = []
}

/// One optional value per chunk of a `ParallelChunks` run; each chunk writes only its own slot.
/// (Raw storage, not an Array: concurrent writes to distinct elements of one Array would race on
/// the array value itself.)
final class Slots<Value>: @unchecked Sendable {
    private let values: UnsafeMutablePointer<Value?>
    private let count: Int

    init(count: Int) {
        self.count = count
        values = .allocate(capacity: max(count, 1))
        values.initialize(repeating: nil, count: count)
    }

    deinit {
        values.deinitialize(count: count)
        values.deallocate()
    }

    subscript(n: Int) -> Value? {
        get { values[n] }
        set { values[n] = newValue }
    }
}

extension ModelSession {
    /// Every tile point over one input: one dense pass (with Q/K for an estimator), then with
    /// `endToEnd` one pruned pass per point against the dense logits.
    /// - Important: called on the compute queue.
    func tileSweepOne(_ p: PruneSweepParams, tokens: [Int], model: LoadedModel, context: RequestContext,
                      progress: ProgressSpan) throws -> (points: [SweepPointResult], extras: [TilePointExtras], exports: [MaskExport.Point]) {
        let c = model.config, d = c.headDim, t = tokens.count
        let plans = p.tilePlans(tokens: t)
        let keep = p.keep, estimator = p.tileEstimator
        var accumulators = [TilePointAccumulator](repeating: TilePointAccumulator(seedEpsilon: p.seedEpsilon), count: plans.count)
        let chosen = LayerTiles()
        // The points of each distinct key block size, in plan order (plans are block-size major).
        var pointsByBlockSize: [(blockSize: Int, points: [Int])] = []
        for (bIndex, b) in p.blockSizes.enumerated() {
            let points = Array((bIndex * p.thresholds.count)..<((bIndex + 1) * p.thresholds.count))
            if let g = pointsByBlockSize.firstIndex(where: { $0.blockSize == b }) { pointsByBlockSize[g].points += points }
            else { pointsByBlockSize.append((b, points)) }
        }
        // With `exportMask`: the kept masks this attention-level scoring used, [point][layer][head].
        var exportMasks = [[[TileMask]]](repeating: [], count: p.exportMask ? plans.count : 0)
        let denseShare = p.endToEnd ? 1.0 / Double(plans.count + 1) : 1.0
        let threads = model.model.threads, heads = c.nHead
        let queryKeys: ((Int, LayerQueriesKeys) throws -> Void)? = estimator.map { estimator in
            { _, qk in
                // (key block size, head) pairs on the pass's threads, the estimator's scores computed
                // once per pair for all its points; each point's tiles go to their own slot.
                let slots = Slots<Result<HeadTiles, Error>>(count: plans.count * heads)
                ParallelChunks.run(chunks: pointsByBlockSize.count * heads, threads: threads) { _, n in
                    guard !context.isCancelled else { return }
                    let group = pointsByBlockSize[n / heads], h = n % heads
                    do {
                        let tiles = try TileChooser.estimate(estimator, group.points.map { plans[$0] }, head: qk.head(h), keep: keep)
                        for (index, one) in zip(group.points, tiles) { slots[index * heads + h] = .success(one) }
                    } catch {
                        for index in group.points { slots[index * heads + h] = .failure(error) }
                    }
                }
                try context.checkCancelled()
                chosen.tiles = try plans.indices.map { i in try (0..<heads).map { h in try slots[i * heads + h]!.get() } }
            }
        }
        let dense = try timedDensePass(model: model, tokens: tokens, needLogits: p.endToEnd, context: context,
                                       progress: progress.slice(0, denseShare), fresh: p.endToEnd, queryKeys: queryKeys) { l, a in
            // Per (head, Bk) the head's row sums, built once and shared by every point of that Bk;
            // each (point, head) scored into its own accumulator, merged in head order.
            let partial = Slots<TilePointAccumulator>(count: plans.count * heads)
            let keptSlots = Slots<TileMask>(count: p.exportMask ? plans.count * heads : 0)
            ParallelChunks.run(chunks: heads, threads: threads) { _, h in
                guard !context.isCancelled else { return }
                let head = UnsafeBufferPointer(rebasing: a[(h * t * t)..<((h + 1) * t * t)])   // (T, T)
                let sums = TileRowSums.make(attention: head, tokens: t, keyBlockSizes: pointsByBlockSize.map(\.blockSize),
                                            epsilon: p.seedEpsilon)
                for (group, groupSums) in zip(pointsByBlockSize, sums) {
                    for index in group.points {
                        guard !context.isCancelled else { return }
                        let tiles = estimator == nil ? TileChooser.oracle(plans[index], attention: head, keep: keep) : chosen.tiles[index][h]
                        var one = TilePointAccumulator(seedEpsilon: p.seedEpsilon)
                        one.add(layer: l, kept: tiles.kept, pure: tiles.pure, sums: groupSums, attention: head, headDim: d,
                                estimatorMultiplyAdds: tiles.multiplyAdds)
                        partial[index * heads + h] = one
                        if p.exportMask { keptSlots[index * heads + h] = tiles.kept }
                    }
                }
            }
            try context.checkCancelled()
            for n in 0..<(plans.count * heads) { if let one = partial[n] { accumulators[n / heads].merge(one) } }
            for index in exportMasks.indices { exportMasks[index].append((0..<heads).compactMap { keptSlots[index * heads + $0] }) }
        }
        var points: [SweepPointResult] = []
        var extras: [TilePointExtras] = []
        for (index, plan) in plans.enumerated() {
            let r = accumulators[index].result(selection: p.rowSelectionLabel, blockSize: plan.geometry.keyBlockSize, value: plan.value)
            points.append(r.point)
            extras.append(TilePointExtras(tiles: r))
        }
        let exports = zip(plans, exportMasks).map { MaskExport.Point(plan: $0, masks: $1) }
        guard p.endToEnd else { return (points, extras, exports) }
        guard let logits = dense.logits else { throw RPCError(.internalError, "the dense pass returned no logits") }
        let reference = try DenseLogitsReference(logits: logits, tokens: tokens, vocabularySize: c.vocabSize,
                                                 threadCount: model.model.threads)
        for (index, plan) in plans.enumerated() {
            try context.checkCancelled()
            var options = ForwardOptions()
            options.checkCancellation = { try context.checkCancelled() }
            if let estimator {
                // Block-sparse: each layer's masks from the pruned run's own Q and K; no dense attention.
                options.attentionTileMasks = { _, qk in
                    try (0..<qk.heads).map { try TileChooser.estimate(estimator, plan, head: qk.head($0), keep: keep).kept }
                }
            } else {
                // The oracle must form the dense attention first, then masks it (the cascade).
                options.attentionHeadIntervention = { _, _, _, probs in
                    let tiles = TileChooser.oracle(plan, attention: UnsafeBufferPointer(probs), keep: keep)
                    TileChooser.applyInPlace(tiles.kept, to: probs)
                }
            }
            let pruned = try model.model.forward(tokens: tokens, options: options)
            guard let prunedLogits = pruned.logits else { throw RPCError(.internalError, "the pruned pass returned no logits") }
            // `compare` checks the pruned logits for NaN/Inf in its row pass (-32009 naming the point).
            points[index].endToEnd = try FiniteGuard.checking("prunedLogits", point: index) {
                try reference.compare(prunedLogits: prunedLogits)
            }
            extras[index].attentionSecondsFull = dense.attentionSeconds
            // The price of skipping tiles includes choosing them: the estimator's time is added.
            extras[index].attentionSecondsPruned = pruned.attentionSeconds + pruned.tileMaskSeconds
            extras[index].denseAttentionFormed = estimator == nil
            progress.report(denseShare + (1 - denseShare) * Double(index + 1) / Double(plans.count),
                            "pruned pass \(index + 1) of \(plans.count)")
        }
        return (points, extras, exports)
    }
}

extension AttnProtocol.SweepPoint {
    /// Adds a tile point's fields (and its selection, for `window`) to the wire point.
    mutating func attach(_ extras: TilePointExtras, selection: Selection) {
        self.selection = selection
        tileDensity = extras.tiles.tileDensity
        computedFraction = extras.tiles.computedFraction
        recall = extras.tiles.recall
        recallP5 = extras.tiles.recallP5
        estimatorMultiplyAdds = extras.tiles.estimatorMultiplyAdds
        endToEnd?.attentionSecondsFull = extras.attentionSecondsFull
        endToEnd?.attentionSecondsPruned = extras.attentionSecondsPruned
        endToEnd?.denseAttentionFormed = extras.denseAttentionFormed
    }
}
