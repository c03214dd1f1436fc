import Foundation

/// Settings of `profileAttention` (defaults as in DESIGN.md).
public struct ProfileOptions: Hashable, Sendable {
    /// Keys per block (≥ 1).
    public var blockSize: Int = 4
    /// Block-max thresholds for `blocks[]`, each in (0, 1].
    public var thresholds: [Double] = [0.05, 0.1, 0.2, 0.5]
    /// Entries below this count as sparse, in (0, 1].
    public var entryThreshold: Double = 0.05

    public init(blockSize: Int = 4, thresholds: [Double] = [0.05, 0.1, 0.2, 0.5], entryThreshold: Double = 0.05) {
        self.blockSize = blockSize
        self.thresholds = thresholds
        self.entryThreshold = entryThreshold
    }

    func validate() throws {
        guard blockSize >= 1 else { throw AnalysisError.invalidBlockSize(field: "blockSize", value: blockSize) }
        for (i, t) in thresholds.enumerated() where !(t > 0 && t <= 1) {
            throw AnalysisError.invalidValue(field: "thresholds[\(i)]", value: t, accepted: "a number in (0, 1]")
        }
        guard entryThreshold > 0, entryThreshold <= 1 else {
            throw AnalysisError.invalidValue(field: "entryThreshold", value: entryThreshold, accepted: "a number in (0, 1]")
        }
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
    private var seen: [Bool]

    public init(options: ProfileOptions = ProfileOptions(), tokens: Int, heads: Int, layers: Int,
                threadCount: Int = 2) throws {
        try options.validate()
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
        var layerHeads = [ProfileHead?](repeating: nil, count: h)
        layerHeads.withUnsafeMutableBufferPointer { out in
            let outBase = out.baseAddress!
            forEachHead(heads: h, workers: threadCount) { worker, head in
                outBase[head] = profileHead(base + head * t * t, head: head, tokens: t, options: options,
                                            scratch: scratch[worker])
            }
        }
        for head in 0..<h { heads[layer * h + head] = layerHeads[head] }
        seen[layer] = true
    }

    /// The profile; throws `missingLayers` unless every layer was consumed.
    public func result() throws -> AttentionProfile {
        try requireAllLayers(seen)
        let h = shape.heads
        let layers = (0..<shape.layers).map { l in
            ProfileLayer(layer: l, heads: (0..<h).compactMap { heads[l * h + $0] })
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
        for k in 0..<n { belowVisible &+= Double(row[k]) < theta ? 1 : 0 }
        stats.fill(row: row, visibleKeys: n, width: b, eps: eps, lnEps: lnEps, lowCut: 0)
        var plogp = 0.0
        for j in 0..<stats.count { plogp += stats.seedPrunedTerm[j] + lnEps * stats.massAboveEps[j] }
        entropy -= plogp
        sink += Double(row[0])
        local += stats.mass[stats.count - 1]
        for (i, tau) in thresholds.enumerated() {
            var below = 0
            for j in 0..<stats.count { below &+= Double(stats.maximum[j]) < tau ? 1 : 0 }
            blocksBelow[i] += below
        }
        let blocks = stats.count
        let counts = scratch.sortedMass.withUnsafeMutableBufferPointer { sorted -> (Int, Int, Int) in
            for j in 0..<blocks { sorted[j] = stats.mass[j] }
            var slice = UnsafeMutableBufferPointer(rebasing: sorted[0..<blocks])
            slice.sort()
            return coverageCounts(ascending: UnsafeBufferPointer(slice))
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

/// Blocks needed to reach 90%, 95% and 99% of the row mass, from block masses sorted in
/// ascending order (walked from the largest). Same running sums as
/// `BlockRowStats.coverageCount` (equal masses in any order give the same sums), computed
/// for the three fractions in one walk.
private func coverageCounts(ascending mass: UnsafeBufferPointer<Double>) -> (Int, Int, Int) {
    var total = 0.0
    for m in mass.reversed() { total += m }
    let targets = [0.9 * total, 0.95 * total, 0.99 * total]
    var counts = [0, 0, 0]
    var running = 0.0
    var kept = 0
    for (i, target) in targets.enumerated() {
        while kept < mass.count && running < target {
            running += mass[mass.count - 1 - kept]
            kept += 1
        }
        counts[i] = kept
    }
    return (counts[0], counts[1], counts[2])
}
