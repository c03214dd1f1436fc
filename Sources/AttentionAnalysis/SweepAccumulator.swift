import Foundation
import Kernels
/// Sums of one point over one (layer, head): the rows' outcomes added up in Float64.
struct PointSums {
    var prunedBlocks = 0
    var seedPrunedBlocks = 0
    var prunedMass = 0.0
    var attentionKL = 0.0
    var seedKL = 0.0
    var fullyPrunedRows = 0

    @inline(__always)
    mutating func add(_ o: RowOutcome) {
        prunedBlocks += o.prunedBlocks
        seedPrunedBlocks += o.seedPrunedBlocks
        prunedMass += o.prunedMass
        attentionKL += o.attentionKL
        seedKL += o.seedKL
        fullyPrunedRows += o.fullyPruned ? 1 : 0
    }
}

/// Streams a model's attention, one layer (or one head) at a time, through every sweep point.
///
/// Feed each layer's `(H, T, T)` probabilities as the forward pass produces them (from its
/// `attentionObserver`), or each head's `(T, T)` from its `attentionHeadObserver` while they are
/// still in cache; memory stays at one layer's attention (owned by the caller) plus small
/// per-thread scratch. `consume(layer:…)` splits heads across `threadCount` threads itself.
/// - Important: `consume(layer:head:worker:…)` may be called concurrently for different heads
///   with different `worker`s; nothing else may run concurrently on one instance.
public final class SweepAccumulator {
    public let points: [SweepSetting]
    public let shape: AttentionShape
    /// The clamp of `seedKL` (default 1e-12).
    public let seedEpsilon: Double
    public let threadCount: Int
    private let analyzers: [RowAnalyzer]
    /// `(L, H, P)` sums, written only by the call analysing that (layer, head).
    private let sums: UnsafeMutablePointer<PointSums>
    private let sumCount: Int
    private let ledger: HeadLedger

    /// - Parameters:
    ///   - points: the (rule value × block size) points; validated here.
    ///   - tokens, heads, layers: `T`, `H`, `L` of the attention that will be fed.
    ///   - seedEpsilon: `eps` of `seedKL`, in `SeedEpsilon.lowest…SeedEpsilon.highest`.
    ///   - threadCount: worker threads for the heads (≥ 1); per-head feeding uses workers
    ///     `0..<threadCount`.
    public init(points: [SweepSetting], tokens: Int, heads: Int, layers: Int,
                seedEpsilon: Double = 1e-12, threadCount: Int = ParallelChunks.defaultThreads) throws {
        shape = try AttentionShape(layers: layers, heads: heads, tokens: tokens)
        let plan = try SweepPlan(points: points, tokens: tokens, seedEpsilon: seedEpsilon)
        self.points = points
        self.seedEpsilon = seedEpsilon
        self.threadCount = max(1, threadCount)
        analyzers = (0..<self.threadCount).map { _ in RowAnalyzer(plan: plan) }
        sumCount = layers * heads * points.count
        sums = .allocate(capacity: max(sumCount, 1))
        sums.initialize(repeating: PointSums(), count: max(sumCount, 1))
        ledger = HeadLedger(layers: layers, heads: heads)
    }

    deinit {
        sums.deinitialize(count: max(sumCount, 1))
        sums.deallocate()
    }

    /// Runs every point over layer `layer`'s attention `(H, T, T)` (causal: zeros above the diagonal).
    ///
    /// - Parameter isCancelled: polled before each head and every 32 query rows (from the
    ///   worker threads); when it returns true the remaining work is skipped and
    ///   `AnalysisError.cancelled` is thrown, so a large grid stops within a few rows' work
    ///   rather than one layer's.
    public func consume(layer: Int, attention: UnsafeBufferPointer<Float>,
                        isCancelled: @escaping @Sendable () -> Bool = { false }) throws {
        try shape.check(layer: layer, attentionCount: attention.count, seen: ledger.layersSeen)
        guard !ledger.anyHeadFed(layer: layer) else {
            throw AnalysisError.unexpectedLayer(layer: layer, layers: shape.layers, alreadySeen: true)
        }
        guard let base = attention.baseAddress else { return }
        let t = shape.tokens, heads = shape.heads
        let stopped = CancellationFlag()
        // Heads last first: the forward pass wrote them in order just before, so the last
        // ones (a layer is 48 MB at T = 1024, L3 32 MB) are still in cache.
        ParallelChunks.run(chunks: heads, threads: threadCount) { worker, chunk in
            let h = heads - 1 - chunk
            if stopped.isSet || isCancelled() { stopped.set(); return }
            if !analyzeHead(base + h * t * t, layer: layer, head: h, worker: worker, isCancelled: isCancelled) {
                stopped.set()
            }
        }
        if stopped.isSet { throw AnalysisError.cancelled }
        ledger.recordLayer(layer)
    }

    /// Runs every point over head `head` of layer `layer`: its `(T, T)` probabilities (causal).
    ///
    /// For `ForwardOptions.attentionHeadObserver`: calls for different heads may run at the same
    /// time when their `worker`s differ. The layer counts as consumed once all its heads are.
    /// - Throws: `unexpectedLayer` for a layer out of range or a head fed twice,
    ///   `attentionSizeMismatch`, `invalidDimension` for a head or worker out of range,
    ///   `cancelled` when `isCancelled` turns true (polled every 32 rows).
    public func consume(layer: Int, head: Int, attention: UnsafeBufferPointer<Float>, worker: Int,
                        isCancelled: () -> Bool = { false }) throws {
        try shape.checkHead(layer: layer, head: head, worker: worker, threadCount: threadCount,
                            attentionCount: attention.count)
        try ledger.claim(layer: layer, head: head)
        guard let base = attention.baseAddress,
              analyzeHead(base, layer: layer, head: head, worker: worker, isCancelled: isCancelled) else {
            ledger.release(layer: layer, head: head)
            throw AnalysisError.cancelled
        }
    }

    /// Analyses one head's rows into its sums; false when cancelled part-way (sums untouched).
    private func analyzeHead(_ base: UnsafePointer<Float>, layer: Int, head: Int, worker: Int,
                             isCancelled: () -> Bool) -> Bool {
        let t = shape.tokens, pointCount = points.count
        let analyzer = analyzers[worker]
        var local = [PointSums](repeating: PointSums(), count: pointCount)
        for q in 0..<t {
            // Every 32 rows: one head of a large grid can take a while.
            if q & 31 == 31, isCancelled() { return false }
            analyzer.analyze(row: base + q * t, query: q)
            for i in 0..<pointCount { local[i].add(analyzer.outcomes[i]) }
        }
        let headSums = sums + (layer * shape.heads + head) * pointCount
        for i in 0..<pointCount { headSums[i] = local[i] }
        return true
    }

    /// The per-point results; throws `missingLayers` unless every layer was consumed.
    public func result() throws -> [SweepPointResult] {
        try requireAllLayers(ledger.layersSeen)
        let l = shape.layers, h = shape.heads, t = shape.tokens, pointCount = points.count
        let rows = Double(h * t)
        return points.enumerated().map { i, point in
            let geometry = BlockGeometry(checkedTokens: t, blockSize: point.blockSize)
            let visible = Double(h * geometry.visiblePairs)
            let all = Double(h * geometry.allPairs)
            let masked = all - visible
            var layers: [SweepLayerResult] = []
            var seedFraction = 0.0
            for layer in 0..<l {
                var total = PointSums()
                for head in 0..<h {   // heads in order: the sum does not depend on threading
                    let s = sums[(layer * h + head) * pointCount + i]
                    total.prunedBlocks += s.prunedBlocks
                    total.seedPrunedBlocks += s.seedPrunedBlocks
                    total.prunedMass += s.prunedMass
                    total.attentionKL += s.attentionKL
                    total.seedKL += s.seedKL
                    total.fullyPrunedRows += s.fullyPrunedRows
                }
                seedFraction += (Double(total.seedPrunedBlocks) + masked) / all
                layers.append(SweepLayerResult(
                    layer: layer, prunedBlockFraction: Double(total.prunedBlocks) / visible,
                    prunedMass: total.prunedMass / rows, attentionKL: total.attentionKL / rows,
                    seedKL: total.seedKL / rows, fullyPrunedRows: total.fullyPrunedRows))
            }
            let n = Double(l)
            return SweepPointResult(
                selection: point.selection, blockSize: point.blockSize, threshold: point.value,
                prunedBlockFraction: layers.reduce(0) { $0 + $1.prunedBlockFraction } / n,
                seedPrunedFraction: seedFraction / n,
                prunedMass: layers.reduce(0) { $0 + $1.prunedMass } / n,
                attentionKL: layers.reduce(0) { $0 + $1.attentionKL } / n,
                seedKL: layers.reduce(0) { $0 + $1.seedKL } / n,
                fullyPrunedRows: layers.reduce(0) { $0 + $1.fullyPrunedRows },
                layers: layers)
        }
    }
}

/// A flag set once by any worker thread and read by the others.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }

    func set() { lock.lock(); value = true; lock.unlock() }
}

/// Which heads of which layers an accumulator has been fed; thread-safe.
final class HeadLedger: @unchecked Sendable {
    private let lock = NSLock()
    private let heads: Int
    private var fed: [Bool]          // (L, H)

    init(layers: Int, heads: Int) {
        self.heads = heads
        fed = Array(repeating: false, count: layers * heads)
    }

    /// Per layer: true once every head was fed.
    var layersSeen: [Bool] {
        lock.lock(); defer { lock.unlock() }
        return stride(from: 0, to: fed.count, by: heads).map { start in fed[start..<start + heads].allSatisfy { $0 } }
    }

    /// True when some head of `layer` was fed (or is being fed).
    func anyHeadFed(layer: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return fed[layer * heads..<(layer + 1) * heads].contains(true)
    }

    /// Marks (layer, head) as being fed; throws if it already was.
    func claim(layer: Int, head: Int) throws {
        lock.lock(); defer { lock.unlock() }
        guard !fed[layer * heads + head] else {
            throw AnalysisError.unexpectedLayer(layer: layer, layers: fed.count / heads, alreadySeen: true)
        }
        fed[layer * heads + head] = true
    }

    /// Undoes `claim` (the head was not analysed after all).
    func release(layer: Int, head: Int) {
        lock.lock(); defer { lock.unlock() }
        fed[layer * heads + head] = false
    }

    /// Marks every head of `layer` as fed.
    func recordLayer(_ layer: Int) {
        lock.lock(); defer { lock.unlock() }
        for h in 0..<heads { fed[layer * heads + h] = true }
    }
}
