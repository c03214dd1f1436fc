import Kernels

/// Applies a sweep point's rule to attention probabilities in place: the pruned forward pass.
///
/// Per row: the rule and keep policy pick the kept visible blocks from this layer's own
/// probabilities (the cascade, when used inside a pruned run); pruned blocks' visible keys
/// are set to 0 and kept keys divided by the row's kept sum (Float64), so each row sums to 1
/// again. Rows that prune nothing, dense fallbacks included, are left untouched bit for bit,
/// so a point that prunes nothing reproduces the dense forward pass exactly.
/// - Important: the closure reuses per-thread scratch: call it from one thread at a time
///   (the forward pass calls it layer by layer). It splits heads across `threadCount` threads.
public final class AttentionIntervention: @unchecked Sendable {
    public let point: SweepSetting
    public let heads: Int
    public let tokens: Int
    public let threadCount: Int
    private let plan: PointPlan
    private let scratch: [BlockRowStats]
    /// Per worker: [blocks pruned, heads pruned], written only by that worker.
    private let counters: UnsafeMutablePointer<Int>

    public init(point: SweepSetting, heads: Int, tokens: Int, threadCount: Int = ParallelChunks.defaultThreads) throws {
        try point.validate()
        _ = try AttentionShape(layers: 1, heads: heads, tokens: tokens)
        self.point = point
        self.heads = heads
        self.tokens = tokens
        self.threadCount = max(1, min(threadCount, heads))
        plan = PointPlan(point)
        let capacity = (tokens + point.blockSize - 1) / point.blockSize
        scratch = (0..<self.threadCount).map { _ in BlockRowStats(capacity: capacity, rowCapacity: tokens) }
        counters = .allocate(capacity: 2 * self.threadCount)
        counters.initialize(repeating: 0, count: 2 * self.threadCount)
    }

    deinit { counters.deallocate() }

    /// Visible (head, query, key block) triples pruned so far, over every head this intervention
    /// was applied to (rows that fell back to dense count as pruning nothing). Read it between
    /// passes, not while one runs.
    public var prunedBlocks: Int { (0..<threadCount).reduce(0) { $0 + counters[2 * $1] } }

    /// Visible (head, query, key block) triples of the heads applied so far: `Σ_q ⌈(q + 1)/B⌉` per head.
    public var visibleBlocks: Int {
        let heads = (0..<threadCount).reduce(0) { $0 + counters[2 * $1 + 1] }
        let b = plan.blockSize
        let perHead = (0..<tokens).reduce(0) { $0 + ($1 + b) / b }
        return heads * perHead
    }

    /// The closure for `ForwardOptions.attentionHeadIntervention`: each head pruned on the
    /// worker that computed it, while it is in cache. Needs `threadCount` ≥ the model's threads.
    public var headClosure: (_ layer: Int, _ head: Int, _ worker: Int, _ probs: UnsafeMutableBufferPointer<Float>) throws -> Void {
        { [self] _, _, worker, probs in try apply(toHead: probs, worker: worker) }
    }

    /// The closure for `ForwardOptions.attentionIntervention`.
    public var closure: (_ layer: Int, _ probs: UnsafeMutableBufferPointer<Float>) throws -> Void {
        { [self] layer, probs in try apply(to: probs, layer: layer) }
    }

    /// Prunes one layer's probabilities `(H, T, T)` in place (`layer` only names it in errors).
    ///
    /// Heads are taken last first, as threads free up: the forward pass has just written them
    /// in order, so the last heads are still in cache, and the first heads — the next ones
    /// the forward pass reads — are the last ones left there.
    public func apply(to probs: UnsafeMutableBufferPointer<Float>, layer: Int = 0) throws {
        let t = tokens, heads = self.heads
        guard probs.count == heads * t * t else {
            throw AnalysisError.attentionSizeMismatch(layer: layer, expected: heads * t * t, actual: probs.count)
        }
        guard let base = probs.baseAddress else { return }
        let scratch = self.scratch
        ParallelChunks.run(chunks: heads, threads: threadCount) { worker, chunk in
            pruneHead(base + (heads - 1 - chunk) * t * t, stats: scratch[worker], worker: worker)
        }
    }

    /// Prunes one head's probabilities `(T, T)` in place with worker `worker`'s scratch: for a
    /// forward pass that prunes each head right after its softmax, while its rows are in cache.
    /// - Important: calls running at the same time must pass different `worker`s.
    public func apply(toHead probs: UnsafeMutableBufferPointer<Float>, worker: Int) throws {
        guard probs.count == tokens * tokens else {
            throw AnalysisError.attentionSizeMismatch(layer: 0, expected: tokens * tokens, actual: probs.count)
        }
        guard worker >= 0, worker < threadCount else {
            throw AnalysisError.invalidDimension(field: "worker", value: worker, accepted: "0..<\(threadCount) (threadCount)")
        }
        guard let base = probs.baseAddress else { return }
        pruneHead(base, stats: scratch[worker], worker: worker)
    }

    /// Prunes the rows of one head `(T, T)`, counting on `worker`'s counters. Row q sees q/B + 1
    /// blocks; rows with fewer than `minimumBlocksToPrune` cannot change and are not read.
    private func pruneHead(_ head: UnsafeMutablePointer<Float>, stats: BlockRowStats, worker: Int) {
        let t = tokens, plan = self.plan
        counters[2 * worker + 1] += 1
        let minimumBlocks = plan.minimumBlocksToPrune
        guard minimumBlocks <= (t + plan.blockSize - 1) / plan.blockSize else { return }
        let fixedFloor = plan.selection == .threshold ? PointPlan.keepFloor(plan.value) : 0
        var pruned = 0
        for q in ((minimumBlocks - 1) * plan.blockSize)..<t {
            let keepFloor = plan.selection == .relativeThreshold
                ? PointPlan.keepFloor(SelectionRule.relativeCut(plan.value, visibleKeys: q + 1)) : fixedFloor
            pruned += pruneRow(head + q * t, query: q, plan: plan, keepFloor: keepFloor, stats: stats)
        }
        counters[2 * worker] += pruned
    }
}

extension PointPlan {
    /// Fewest visible blocks a row needs for the point to prune anything: a single block is
    /// never pruned (it would be all of them), topK keeps `k`, the keep policy its blocks.
    var minimumBlocksToPrune: Int {
        let forced = (keepSink ? 1 : 0) + (keepLocal ? 1 : 0)
        let ruleKeeps = selection == .topK ? Int(Swift.min(value, Double(Int32.max))) : 1
        return Swift.max(ruleKeeps, forced) + 1
    }

    /// Threshold cut `τ` (for relativeThreshold the row's `c/(q+1)`): the smallest Float `f` with
    /// `Double(f) ≥ τ`. A block's largest weight `m` has `Double(m) < τ` (the rule prunes)
    /// exactly when every weight is `< f`, so the rule is decided by lane compares, with no
    /// block maximum formed.
    static func keepFloor(_ tau: Double) -> Float {
        let f = Float(tau)
        return Double(f) < tau ? f.nextUp : f
    }
}

/// Prunes row `q` (keys `0...q`) in place; see `AttentionIntervention`. Returns the blocks it
/// pruned (0 when the row is left as it was: nothing pruned, or a dense fallback).
///
/// Threshold and relativeThreshold: each block is decided by comparing its weights with `keepFloor`
/// (the row's cut as a Float, `PointPlan.keepFloor`); block masses
/// (Float64) are summed only for kept blocks and only when the row changes. Coverage and
/// topK: one pass for all block masses, then the ranking. A row that changes is then written
/// in one pass: pruned blocks zeroed, kept keys multiplied by the reciprocal of the kept mass.
@discardableResult
private func pruneRow(_ row: UnsafeMutablePointer<Float>, query q: Int, plan: PointPlan, keepFloor: Float,
                      stats: BlockRowStats) -> Int {
    let b = plan.blockSize, n = q + 1
    let blocks = (n + b - 1) / b
    let threshold = !plan.selection.ranksBlocks     // threshold or relativeThreshold: `keepFloor` decides
    var keptCount = 0
    if !threshold {
        stats.count = blocks
        for j in 0..<blocks { stats.mass[j] = blockMass(row, from: j * b, to: min(j * b + b, n)) }
        stats.rankByMass()
        keptCount = plan.selection == .coverage
            ? stats.coverageCount(fraction: plan.value) : Int(min(plan.value, Double(blocks)))
    }
    // `order` (no longer needed once ranks exist) doubles as the kept flag: 1 kept, 0 pruned.
    var pruned = 0
    for j in 0..<blocks {
        let forced = (plan.keepSink && j == 0) || (plan.keepLocal && j == blocks - 1)
        let prunes = !forced && (threshold
            ? !blockReaches(row, from: j * b, to: min(j * b + b, n), keepFloor)
            : Int(stats.rank[j]) >= keptCount)
        pruned += prunes ? 1 : 0
        stats.order[j] = prunes ? 0 : 1
    }
    guard pruned > 0, pruned < blocks else { return 0 }   // nothing pruned, or dense fallback
    var keptMass = 0.0                                    // in block order, as the blocks' sums
    for j in 0..<blocks where stats.order[j] == 1 {
        keptMass += threshold ? blockMass(row, from: j * b, to: min(j * b + b, n)) : stats.mass[j]
    }
    guard keptMass > 0 else { return 0 }                  // kept blocks without mass: dense fallback
    // Kept keys divided by the kept mass (as a multiplication by its Float64 reciprocal).
    let scale = 1 / keptMass
    for j in 0..<blocks {
        let start = j * b, end = min(start + b, n)
        guard stats.order[j] == 1 else {
            zeroFill(row, from: start, to: end)
            continue
        }
        var k = start
        while k + 8 <= end {
            let v = loadEightAsDouble(row + k) * scale
            UnsafeMutableRawPointer(row + k).storeBytes(of: SIMD8<Float>(v), as: SIMD8<Float>.self)
            k += 8
        }
        while k < end {
            row[k] = Float(Double(row[k]) * scale)
            k += 1
        }
    }
    return pruned
}

/// Whether some weight of `row[start..<end]` is `≥ floor` (NaN never is).
@inline(__always)
private func blockReaches(_ row: UnsafePointer<Float>, from start: Int, to end: Int, _ floor: Float) -> Bool {
    var k = start
    var reached = SIMDMask<SIMD16<Int32>>(repeating: false)
    while k + 16 <= end {
        reached .|= UnsafeRawPointer(row + k).loadUnaligned(as: SIMD16<Float>.self) .>= floor
        k += 16
    }
    if any(reached) { return true }
    while k < end {
        if row[k] >= floor { return true }
        k += 1
    }
    return false
}

/// Sets `row[start..<end]` to +0, sixteen lanes at a time.
@inline(__always)
private func zeroFill(_ row: UnsafeMutablePointer<Float>, from start: Int, to end: Int) {
    var k = start
    while k + 16 <= end {
        UnsafeMutableRawPointer(row + k).storeBytes(of: SIMD16<Float>(repeating: 0), as: SIMD16<Float>.self)
        k += 16
    }
    while k < end {
        row[k] = 0
        k += 1
    }
}
