import AttentionAnalysis
import AttnProtocol
import Foundation
import GPT2
import JSONRPC
import Kernels
import RunStore

// A per-head table (`perHead`, Protocol/README.md §10 `calibrate`) applied to one input: every
// (layer, head) its own rule value on the table's tiles, or dense; scored at the attention level
// from the dense pass, and run end to end by a pruned pass that chooses each layer's masks in the
// pass (the cascade, as `pruneSweep`'s tile points).

/// A per-head table for one input of `tokens` T. Immutable; any thread.
struct PerHeadPlan: Sendable {
    let table: PerHeadTable
    let geometry: TileGeometry
    let heads: Int
    let estimator: TileEstimator?
    let keep: KeepPolicy
    /// `[layer · H + head]`: the head's rule, nil when dense.
    let selections: [TileSelection?]

    init(table: PerHeadTable, tokens t: Int) {
        self.table = table
        geometry = TileGeometry(tokens: t, queryBlockSize: table.queryBlockSize, keyBlockSize: table.blockSize)
        heads = table.heads
        estimator = table.tileEstimator
        keep = KeepPolicy(keepSink: table.keepSink, keepLocal: table.keepLocal)
        selections = table.values.flatMap { $0.map { $0.map(table.tileSelection) } }
    }

    /// Every visible tile kept: a dense head.
    var denseTiles: HeadTiles {
        let all = TileMask(geometry: geometry, keepingAllVisible: true)
        return HeadTiles(kept: all, pure: all, multiplyAdds: 0)
    }

    /// One head's tiles from its Q and K (an estimator's table).
    func estimatedTiles(layer l: Int, head h: Int, _ qk: HeadQueriesKeys) throws -> HeadTiles {
        guard let selection = selections[l * heads + h], let estimator else { return denseTiles }
        return try TileChooser.estimate(estimator, TilePointPlan(geometry: geometry, value: 0, selection: selection),
                                        head: qk, keep: keep)
    }

    /// One head's tiles from its exact attention (T, T) (the oracle's table).
    func oracleTiles(layer l: Int, head h: Int, attention: UnsafeBufferPointer<Float>) -> HeadTiles {
        guard let selection = selections[l * heads + h] else { return denseTiles }
        return TileChooser.oracle(TilePointPlan(geometry: geometry, value: 0, selection: selection), attention: attention, keep: keep)
    }
}

/// What one pruned pass of a per-head table gave.
struct PerHeadPassOutcome {
    let endToEnd: EndToEndMetrics
    /// Attention kernels of the pruned pass plus choosing its masks, seconds.
    let attentionSeconds: Double
}

extension ModelSession {
    /// The forward options of `plan`'s pruned pass: an estimator's table through
    /// `BlockSparseAttention` (each layer's masks from the pass's own Q and K, dense heads on all
    /// their visible tiles; a layer with every head dense runs the dense attention), the oracle's by
    /// masking the pass's own dense attention per head (dense heads untouched). With `counts`,
    /// every head's (query row, key block) pairs are counted into it (pruned and visible).
    func perHeadOptions(_ plan: PerHeadPlan, model: LoadedModel, context: RequestContext,
                        counts: PerHeadBlockCounts? = nil) -> ForwardOptions {
        var options = ForwardOptions()
        options.checkCancellation = { try context.checkCancelled() }
        if plan.estimator != nil {
            let threads = model.model.threads
            options.attentionTileMasks = { l, qk in
                // A layer whose heads are all dense runs the dense attention (nil: no masks).
                guard (0..<plan.heads).contains(where: { plan.selections[l * plan.heads + $0] != nil }) else {
                    for h in 0..<plan.heads { counts?.add(plan.denseTiles.kept, layer: l, head: h) }
                    return nil
                }
                let slots = Slots<Result<TileMask, Error>>(count: plan.heads)
                ParallelChunks.run(chunks: plan.heads, threads: threads) { _, h in
                    slots[h] = Result { try plan.estimatedTiles(layer: l, head: h, qk.head(h)).kept }
                }
                let masks = try (0..<plan.heads).map { try slots[$0]!.get() }
                for (h, mask) in masks.enumerated() { counts?.add(mask, layer: l, head: h) }
                return masks
            }
        } else {
            options.attentionHeadIntervention = { l, h, _, probs in
                guard plan.selections[l * plan.heads + h] != nil else {
                    counts?.add(plan.denseTiles.kept, layer: l, head: h)
                    return
                }
                let tiles = plan.oracleTiles(layer: l, head: h, attention: UnsafeBufferPointer(probs))
                counts?.add(tiles.kept, layer: l, head: h)
                TileChooser.applyInPlace(tiles.kept, to: probs)
            }
        }
        return options
    }

    /// The pruned pass of `plan` on `tokens` (`perHeadOptions`), compared with the dense logits.
    /// - Important: called on the compute queue.
    func perHeadPrunedPass(_ plan: PerHeadPlan, tokens: [Int], model: LoadedModel, reference: DenseLogitsReference,
                           context: RequestContext) throws -> PerHeadPassOutcome {
        let options = perHeadOptions(plan, model: model, context: context)
        let pruned = try context.timed("prunedForward") { try model.model.forward(tokens: tokens, options: options) }
        guard let logits = pruned.logits else { throw RPCError(.internalError, "the pruned pass returned no logits") }
        // `compare` checks the pruned logits for NaN/Inf in its row pass (-32009 naming point 0).
        let endToEnd = try FiniteGuard.checking("prunedLogits", point: 0) { try reference.compare(prunedLogits: logits) }
        return PerHeadPassOutcome(endToEnd: endToEnd,
                                  attentionSeconds: pruned.attentionSeconds + pruned.tileMaskSeconds)
    }

    /// The `perHead` param resolved to its table (a `calibrate` run of this model, or the inline
    /// table), checked against the loaded model's layers and heads.
    func resolvePerHead(_ spec: PerHeadSpec, model: LoadedModel, field: String = "perHead") throws -> PerHeadTable {
        let table: PerHeadTable
        switch spec {
        case let .table(t): table = t
        case let .calibrationRun(id):
            let details: RunDetails
            do { details = try history.requireStore().run(id: id) } catch {
                throw RPCError.invalidParams(field: "\(field).calibrationRunId", value: .string(id),
                                             accepted: "the id of a completed calibrate run in the history (\(error))")
            }
            guard details.run.method == "calibrate", details.run.status == .completed,
                  let json = details.run.resultJSON, let result = try? JSONParser.parse(json),
                  let stored = result.objectValue?["perHead"], let t = try? stored.decode(PerHeadTable.self) else {
                throw RPCError.invalidParams(field: "\(field).calibrationRunId", value: .string(id),
                                             accepted: "the id of a completed calibrate run (run \(id) is a \(details.run.status.rawValue) \(details.run.method) run)")
            }
            guard details.run.modelFingerprint == model.fingerprint else {
                throw RPCError.invalidParams(field: "\(field).calibrationRunId", value: .string(id),
                                             accepted: "a calibration of the loaded model \(model.fingerprint) (run \(id) calibrated \(details.run.modelFingerprint))")
            }
            table = t
        }
        try table.check(layers: model.config.nLayer, heads: model.config.nHead, field: field)
        return table
    }
}

/// (query row, key block) pairs of a pruned pass, per (layer, head): visible ones and those its
/// mask prunes (a row that falls back to dense prunes none), what `evaluateCorpus`'s
/// `prunedBlockFraction` counts. Each (layer, head) slot is written by one call (heads may run
/// on different worker threads); read the totals after the pass.
final class PerHeadBlockCounts: @unchecked Sendable {
    private let heads: Int
    private let pruned: UnsafeMutablePointer<Int>
    private let visible: UnsafeMutablePointer<Int>
    private let slots: Int

    init(layers: Int, heads: Int) {
        self.heads = heads
        slots = max(1, layers * heads)
        pruned = .allocate(capacity: slots)
        pruned.initialize(repeating: 0, count: slots)
        visible = .allocate(capacity: slots)
        visible.initialize(repeating: 0, count: slots)
    }

    deinit {
        pruned.deallocate()
        visible.deallocate()
    }

    func add(_ mask: TileMask, layer l: Int, head h: Int) {
        let g = mask.geometry
        var p = 0, v = 0
        for q in 0..<g.tokens {
            let blocks = g.keyBlock(of: q) + 1
            v += blocks
            guard !mask.fallsBack(query: q) else { continue }
            let i = g.queryBlock(of: q)
            for j in 0..<blocks where !mask.isKept(queryBlock: i, keyBlock: j) { p += 1 }
        }
        pruned[l * heads + h] += p
        visible[l * heads + h] += v
    }

    var prunedBlocks: Int { (0..<slots).reduce(0) { $0 + pruned[$1] } }
    var visibleBlocks: Int { (0..<slots).reduce(0) { $0 + visible[$1] } }
}
