import Foundation
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

/// Streams a model's attention, one layer at a time, through every sweep point.
///
/// Feed each layer's `(H, T, T)` probabilities as the forward pass produces them (from its
/// `attentionObserver`); memory stays at one layer's attention (owned by the caller) plus
/// small per-thread scratch. Heads are split across `threadCount` threads inside `consume`.
/// - Important: `consume` and `result` must not be called concurrently on one instance.
public final class SweepAccumulator {
    public let points: [SweepPoint]
    public let shape: AttentionShape
    /// The clamp of `seedKL` (default 1e-12).
    public let seedEpsilon: Double
    public let threadCount: Int
    private let analyzers: [RowAnalyzer]
    /// `(L, H, P)` sums, written by the thread that owns the head.
    private var sums: [PointSums]
    private var seen: [Bool]

    /// - Parameters:
    ///   - points: the (rule value × block size) points; validated here.
    ///   - tokens, heads, layers: `T`, `H`, `L` of the attention that will be fed.
    ///   - seedEpsilon: `eps` of `seedKL`, in [1e-300, 1e-3].
    ///   - threadCount: worker threads for the heads (≥ 1).
    public init(points: [SweepPoint], tokens: Int, heads: Int, layers: Int,
                seedEpsilon: Double = 1e-12, threadCount: Int = 2) throws {
        shape = try AttentionShape(layers: layers, heads: heads, tokens: tokens)
        let plan = try SweepPlan(points: points, tokens: tokens, seedEpsilon: seedEpsilon)
        self.points = points
        self.seedEpsilon = seedEpsilon
        self.threadCount = max(1, min(threadCount, heads))
        analyzers = (0..<self.threadCount).map { _ in RowAnalyzer(plan: plan) }
        sums = Array(repeating: PointSums(), count: layers * heads * points.count)
        seen = Array(repeating: false, count: layers)
    }

    /// Runs every point over layer `layer`'s attention `(H, T, T)` (causal: zeros above the diagonal).
    ///
    /// - Parameter isCancelled: polled before each head and every 32 query rows (from the
    ///   worker threads); when it returns true the remaining work is skipped and
    ///   `AnalysisError.cancelled` is thrown, so a large grid stops within a few rows' work
    ///   rather than one layer's.
    public func consume(layer: Int, attention: UnsafeBufferPointer<Float>,
                        isCancelled: @escaping @Sendable () -> Bool = { false }) throws {
        try shape.check(layer: layer, attentionCount: attention.count, seen: seen)
        guard let base = attention.baseAddress else { return }
        let t = shape.tokens, pointCount = points.count, heads = shape.heads
        let analyzers = self.analyzers
        let stopped = CancellationFlag()
        sums.withUnsafeMutableBufferPointer { sums in
            let layerSums = sums.baseAddress! + layer * heads * pointCount
            // Heads last first: the forward pass wrote them in order just before, so the last
            // ones (a layer is 48 MB at T = 1024, L3 32 MB) are still in cache.
            forEachHead(heads: heads, workers: threadCount) { worker, chunk in
                let h = heads - 1 - chunk
                if stopped.isSet || isCancelled() { stopped.set(); return }
                let analyzer = analyzers[worker]
                let headSums = layerSums + h * pointCount
                var local = [PointSums](repeating: PointSums(), count: pointCount)
                for q in 0..<t {
                    // Every 32 rows, too: one head of a large grid can take a while.
                    if q & 31 == 31, isCancelled() { stopped.set(); return }
                    analyzer.analyze(row: base + (h * t + q) * t, query: q)
                    for i in 0..<pointCount { local[i].add(analyzer.outcomes[i]) }
                }
                for i in 0..<pointCount { headSums[i] = local[i] }
            }
        }
        if stopped.isSet { throw AnalysisError.cancelled }
        seen[layer] = true
    }

    /// The per-point results; throws `missingLayers` unless every layer was consumed.
    public func result() throws -> [SweepPointResult] {
        try requireAllLayers(seen)
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
