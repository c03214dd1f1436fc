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
    public let point: SweepPoint
    public let heads: Int
    public let tokens: Int
    public let threadCount: Int
    private let plan: PointPlan
    private let scratch: [BlockRowStats]

    public init(point: SweepPoint, heads: Int, tokens: Int, threadCount: Int = 2) throws {
        try point.validate()
        _ = try AttentionShape(layers: 1, heads: heads, tokens: tokens)
        self.point = point
        self.heads = heads
        self.tokens = tokens
        self.threadCount = max(1, min(threadCount, heads))
        plan = PointPlan(point)
        let capacity = (tokens + point.blockSize - 1) / point.blockSize
        scratch = (0..<self.threadCount).map { _ in BlockRowStats(capacity: capacity, rowCapacity: tokens) }
    }

    /// The closure for `ForwardOptions.attentionIntervention`.
    public var closure: (_ layer: Int, _ probs: UnsafeMutableBufferPointer<Float>) throws -> Void {
        { [self] layer, probs in try apply(to: probs, layer: layer) }
    }

    /// Prunes one layer's probabilities `(H, T, T)` in place (`layer` only names it in errors).
    public func apply(to probs: UnsafeMutableBufferPointer<Float>, layer: Int = 0) throws {
        let t = tokens
        guard probs.count == heads * t * t else {
            throw AnalysisError.attentionSizeMismatch(layer: layer, expected: heads * t * t, actual: probs.count)
        }
        guard let base = probs.baseAddress else { return }
        let scratch = self.scratch, plan = self.plan
        forEachHead(heads: heads, workers: threadCount) { worker, h in
            let stats = scratch[worker]
            for q in 0..<t { pruneRow(base + (h * t + q) * t, query: q, plan: plan, stats: stats) }
        }
    }
}

/// Prunes row `q` (keys `0...q`) in place; see `AttentionIntervention`.
private func pruneRow(_ row: UnsafeMutablePointer<Float>, query q: Int, plan: PointPlan, stats: BlockRowStats) {
    let b = plan.blockSize
    stats.fillMaxAndMass(row: row, visibleKeys: q + 1, width: b)
    let blocks = stats.count
    var keptCount = 0
    switch plan.selection {
    case .threshold: break
    case .coverage:
        stats.rankByMass()
        keptCount = stats.coverageCount(fraction: plan.value)
    case .topK:
        stats.rankByMass()
        keptCount = Int(min(plan.value, Double(blocks)))
    }
    // `order` (no longer needed once ranks exist) doubles as the kept flag: 1 kept, 0 pruned.
    var pruned = 0
    var keptMass = 0.0
    for j in 0..<blocks {
        let rulePrunes = plan.selection == .threshold
            ? Double(stats.maximum[j]) < plan.value
            : Int(stats.rank[j]) >= keptCount
        let forced = (plan.keepSink && j == 0) || (plan.keepLocal && j == blocks - 1)
        if rulePrunes && !forced {
            pruned += 1
            stats.order[j] = 0
        } else {
            keptMass += stats.mass[j]
            stats.order[j] = 1
        }
    }
    guard pruned > 0, pruned < blocks, keptMass > 0 else { return }   // nothing pruned, or dense fallback
    let n = q + 1
    for j in 0..<blocks where stats.order[j] == 0 {
        let start = j * b
        (row + start).update(repeating: 0, count: min(start + b, n) - start)
    }
    // Kept keys divided by the kept mass (as a multiplication by its Float64 reciprocal).
    let scale = 1 / keptMass
    var k = 0
    while k + 8 <= n {
        let v = SIMD8<Double>(UnsafeRawPointer(row + k).loadUnaligned(as: SIMD8<Float>.self)) * scale
        UnsafeMutableRawPointer(row + k).storeBytes(of: SIMD8<Float>(v), as: SIMD8<Float>.self)
        k += 8
    }
    while k < n {
        row[k] = Float(Double(row[k]) * scale)
        k += 1
    }
}
