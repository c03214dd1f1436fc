import Foundation
import Kernels

/// Settings of `profileAttention` (defaults as in Protocol/README.md §10).
public struct ProfileOptions: Hashable, Sendable {
    /// Keys per block (≥ 1).
    public var blockSize: Int = 4
    /// Block-max thresholds for `blocks[]`, each in (0, 1].
    public var thresholds: [Double] = [0.05, 0.1, 0.2, 0.5]
    /// Entries below this count as sparse, in (0, 1].
    public var entryThreshold: Double = 0.05
    /// The head-role scores' settings.
    public var roles: HeadRoleOptions = HeadRoleOptions()

    public init(blockSize: Int = 4, thresholds: [Double] = [0.05, 0.1, 0.2, 0.5], entryThreshold: Double = 0.05,
                roles: HeadRoleOptions = HeadRoleOptions()) {
        self.blockSize = blockSize
        self.thresholds = thresholds
        self.entryThreshold = entryThreshold
        self.roles = roles
    }

    func validate() throws {
        guard blockSize >= 1 else { throw AnalysisError.invalidBlockSize(field: "blockSize", value: blockSize) }
        for (i, t) in thresholds.enumerated() where !(t > 0 && t <= 1) {
            throw AnalysisError.invalidValue(field: "thresholds[\(i)]", value: t, accepted: "a number in (0, 1]")
        }
        guard entryThreshold > 0, entryThreshold <= 1 else {
            throw AnalysisError.invalidValue(field: "entryThreshold", value: entryThreshold, accepted: "a number in (0, 1]")
        }
        try roles.validate()
    }
}

/// Profiles a model's attention one layer at a time (feed it from the forward pass's observer).
/// - Important: `consume` and `result` must not be called concurrently on one instance;
///   `consume` splits heads across `threadCount` threads itself.
public final class ProfileAccumulator {
    public let options: ProfileOptions
    public let shape: AttentionShape
    public let threadCount: Int
    private let scratch: [ProfileScratch]
    /// `(L, H)` head profiles.
    private var heads: [ProfileHead?]
    /// `(L, H)` head-role text scores, with `ids`.
    private var roleScores: [HeadTextScores?]
    /// The duplicate-token pattern of `ids`.
    private let duplicatePairs: DuplicatePairs?
    private var seen: [Bool]

    /// - Parameter ids: the input's token ids (`tokens` of them); with them each head also gets
    ///   its head-role scores (§11), else those fields stay nil.
    public init(options: ProfileOptions = ProfileOptions(), tokens: Int, heads: Int, layers: Int, ids: [Int]? = nil,
                threadCount: Int = ParallelChunks.defaultThreads) throws {
        try options.validate()
        if let ids, ids.count != tokens {
            throw AnalysisError.invalidDimension(field: "ids", value: ids.count, accepted: "one id per token (\(tokens))")
        }
        duplicatePairs = ids.map { DuplicatePairs(ids: $0) }
        roleScores = Array(repeating: nil, count: layers * heads)
        shape = try AttentionShape(layers: layers, heads: heads, tokens: tokens)
        self.options = options
        self.threadCount = max(1, min(threadCount, heads))
        let capacity = (tokens + options.blockSize - 1) / options.blockSize
        scratch = (0..<self.threadCount).map { _ in ProfileScratch(blocks: capacity, tokens: tokens) }
        self.heads = Array(repeating: nil, count: layers * heads)
        seen = Array(repeating: false, count: layers)
    }

    /// Profiles layer `layer`'s attention `(H, T, T)` (causal).
    public func consume(layer: Int, attention: UnsafeBufferPointer<Float>) throws {
        try shape.check(layer: layer, attentionCount: attention.count, seen: seen)
        guard let base = attention.baseAddress else { return }
        let t = shape.tokens, h = shape.heads
        let scratch = self.scratch, options = self.options
        let pairs = duplicatePairs
        var layerHeads = [ProfileHead?](repeating: nil, count: h)
        var layerScores = [HeadTextScores?](repeating: nil, count: h)
        layerHeads.withUnsafeMutableBufferPointer { out in
            layerScores.withUnsafeMutableBufferPointer { scoresOut in
                let outBase = out.baseAddress!, scoresBase = scoresOut.baseAddress!
                ParallelChunks.run(chunks: h, threads: threadCount) { worker, head in
                    let a = base + head * t * t
                    outBase[head] = profileHead(a, head: head, tokens: t, options: options, scratch: scratch[worker])
                    if let pairs { scoresBase[head] = HeadTextScores(a, tokens: t, pairs: pairs, options: options.roles) }
                }
            }
        }
        for head in 0..<h {
            heads[layer * h + head] = layerHeads[head]
            roleScores[layer * h + head] = layerScores[head]
        }
        seen[layer] = true
    }

    /// The profile; throws `missingLayers` unless every layer was consumed.
    /// - Parameter induction: `(L, H)` induction scores (`InductionAccumulator`), or nil.
    public func result(induction: [Double]? = nil) throws -> AttentionProfile {
        try requireAllLayers(seen)
        let h = shape.heads
        if let induction, induction.count != shape.layers * h {
            throw AnalysisError.invalidDimension(field: "induction", value: induction.count, accepted: "L·H = \(shape.layers * h) scores")
        }
        let layers = (0..<shape.layers).map { l in
            ProfileLayer(layer: l, heads: (0..<h).compactMap { i -> ProfileHead? in
                guard var head = heads[l * h + i] else { return nil }
                if let scores = roleScores[l * h + i] {
                    head.assignRoles(scores, induction: induction?[l * h + i], options: options.roles)
                }
                return head
            })
        }
        return AttentionProfile(layers: layers, summary: ProfileSummary(averaging: layers.flatMap(\.heads)))
    }
}

/// The profile of one head's attention `(T, T)` starting at `a`.
/// Per-thread working memory of the profile.
private final class ProfileScratch {
    let stats: BlockRowStats
    /// Block masses of one row, sorted for the coverage counts.
    var sortedMass: [Double]

    init(blocks: Int, tokens: Int) {
        stats = BlockRowStats(capacity: blocks, rowCapacity: tokens)
        sortedMass = [Double](repeating: 0, count: max(blocks, 1))
    }
}

private func profileHead(_ a: UnsafePointer<Float>, head: Int, tokens t: Int, options: ProfileOptions,
                         scratch: ProfileScratch) -> ProfileHead {
    let stats = scratch.stats
    let b = options.blockSize
    let theta = options.entryThreshold
    let thresholds = options.thresholds
    // With eps at the smallest float the block terms cover every positive entry:
    // Σ A ln A = term + ln(eps) · massAboveEps.
    let eps = Double(Float.leastNonzeroMagnitude), lnEps = log(eps)
    var belowVisible = 0, entropy = 0.0, sink = 0.0, local = 0.0
    var blocksBelow = [Int](repeating: 0, count: thresholds.count)
    var covered = [0, 0, 0]
    for q in 0..<t {
        let row = a + q * t
        let n = q + 1
        belowVisible += countBelow(row, count: n, theta)
        stats.fill(row: row, visibleKeys: n, width: b, eps: eps, lnEps: lnEps, lowCut: 0)
        var plogp = 0.0
        for j in 0..<stats.count { plogp += stats.seedPrunedTerm[j] + lnEps * stats.massAboveEps[j] }
        entropy -= plogp
        sink += Double(row[0])
        local += stats.mass[stats.count - 1]
        for (i, tau) in thresholds.enumerated() {
            blocksBelow[i] += countBelow(stats.maximum, count: stats.count, tau)
        }
        let counts = scratch.sortedMass.withUnsafeMutableBufferPointer { buffer -> (Int, Int, Int) in
            coverageCounts(mass: stats.mass, blocks: stats.count, rowMass: stats.rowMass, scratch: buffer)
        }
        covered[0] += counts.0
        covered[1] += counts.1
        covered[2] += counts.2
    }
    let geometry = BlockGeometry(checkedTokens: t, blockSize: b)
    let visiblePairs = Double(geometry.visiblePairs), allPairs = Double(geometry.allPairs)
    let rows = Double(t)
    let visibleEntries = t * (t + 1) / 2
    return ProfileHead(
        head: head,
        entrySparsity: Double(belowVisible) / Double(visibleEntries),
        // Future entries are 0, below any threshold in (0, 1].
        entrySparsitySeed: Double(belowVisible + (t * t - visibleEntries)) / Double(t * t),
        entropy: entropy / rows, sinkMass: sink / rows, localMass: local / rows,
        blocks: thresholds.enumerated().map { i, tau in
            ProfileBlockFraction(threshold: tau, fraction: Double(blocksBelow[i]) / visiblePairs,
                                 fractionSeed: (Double(blocksBelow[i]) + allPairs - visiblePairs) / allPairs)
        },
        coverage: CoverageCounts(p90: Double(covered[0]) / rows, p95: Double(covered[1]) / rows,
                                 p99: Double(covered[2]) / rows))
}

/// How many of `values[0..<count]` are below `threshold` (compared as Doubles), 8 at a time.
private func countBelow(_ values: UnsafePointer<Float>, count n: Int, _ threshold: Double) -> Int {
    var count8 = SIMD8<Int64>(repeating: 0)
    var k = 0
    while k + 8 <= n {
        let v = SIMD8<Double>(UnsafeRawPointer(values + k).loadUnaligned(as: SIMD8<Float>.self))
        count8 &+= SIMD8<Int64>(repeating: 0).replacing(with: 1, where: v .< threshold)
        k += 8
    }
    var count = Int(count8.wrappedSum())
    while k < n {
        count += Double(values[k]) < threshold ? 1 : 0
        k += 1
    }
    return count
}

/// Blocks needed, largest mass first, to reach 90%, 95% and 99% of the row mass.
///
/// Only blocks with mass ≥ 0.5% of the row's mean block mass are sorted: the others hold
/// under 0.5% of the row together, so the 99% walk ends before them; they still enter the
/// total (added after the sorted ones, as in descending order, up to their own order).
private func coverageCounts(mass: UnsafePointer<Double>, blocks: Int, rowMass: Double,
                            scratch: UnsafeMutableBufferPointer<Double>) -> (Int, Int, Int) {
    let cut = 0.005 * rowMass / Double(blocks)
    var candidates = 0
    var small = 0.0
    for j in 0..<blocks {
        let m = mass[j]
        if m >= cut {
            scratch[candidates] = m
            candidates += 1
        } else {
            small += m
        }
    }
    var sorted = UnsafeMutableBufferPointer(rebasing: scratch[0..<candidates])
    sorted.sort(by: >)
    var total = 0.0
    for m in sorted { total += m }
    total += small
    var running = 0.0
    var kept = 0
    func walk(to fraction: Double) -> Int {
        let target = fraction * total
        while kept < candidates && running < target {
            running += sorted[kept]
            kept += 1
        }
        return kept
    }
    let p90 = walk(to: 0.9), p95 = walk(to: 0.95), p99 = walk(to: 0.99)
    return (p90, p95, p99)
}
