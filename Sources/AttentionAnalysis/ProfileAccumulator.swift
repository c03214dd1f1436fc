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

/// Profiles a model's attention one layer (or one head) at a time: feed it from the forward
/// pass's `attentionObserver` (a layer `(H, T, T)`) or its `attentionHeadObserver` (one head
/// `(T, T)` while it is still in cache). Each head is read once (`ProfileHeadScanner`).
/// - Important: `consume(layer:head:worker:attention:)` may run concurrently for different heads
///   with different `worker`s; nothing else may run concurrently on one instance.
///   `consume(layer:attention:)` splits heads across `threadCount` threads itself.
public final class ProfileAccumulator {
    public let options: ProfileOptions
    public let shape: AttentionShape
    public let threadCount: Int
    /// One per worker.
    private let scanners: [ProfileHeadScanner]
    /// `(L, H)` outcomes, each written only by the call scanning that head.
    private let outcomes: UnsafeMutablePointer<ProfileHeadScanner.Outcome?>
    /// The duplicate-token pattern of `ids`.
    private let duplicatePairs: DuplicatePairs?
    private let ledger: HeadLedger

    /// - Parameter ids: the input's token ids (`tokens` of them); with them each head also gets
    ///   its head-role scores (§11), else those fields stay nil.
    /// - Parameter threadCount: worker threads (≥ 1); per-head feeding uses workers `0..<threadCount`.
    public init(options: ProfileOptions = ProfileOptions(), tokens: Int, heads: Int, layers: Int, ids: [Int]? = nil,
                threadCount: Int = ParallelChunks.defaultThreads) throws {
        try options.validate()
        if let ids, ids.count != tokens {
            throw AnalysisError.invalidDimension(field: "ids", value: ids.count, accepted: "one id per token (\(tokens))")
        }
        duplicatePairs = ids.map { DuplicatePairs(ids: $0) }
        shape = try AttentionShape(layers: layers, heads: heads, tokens: tokens)
        self.options = options
        self.threadCount = max(1, threadCount)
        scanners = (0..<self.threadCount).map { _ in ProfileHeadScanner(tokens: tokens, blockSize: options.blockSize) }
        outcomes = .allocate(capacity: layers * heads)
        outcomes.initialize(repeating: nil, count: layers * heads)
        ledger = HeadLedger(layers: layers, heads: heads)
    }

    deinit {
        outcomes.deinitialize(count: shape.layers * shape.heads)
        outcomes.deallocate()
    }

    /// Profiles layer `layer`'s attention `(H, T, T)` (causal).
    /// - Returns: false when some visible entry is NaN or infinite (the heads holding one get
    ///   an entropy of NaN, which no result check lets through).
    @discardableResult
    public func consume(layer: Int, attention: UnsafeBufferPointer<Float>) throws -> Bool {
        try shape.check(layer: layer, attentionCount: attention.count, seen: ledger.layersSeen)
        guard !ledger.anyHeadFed(layer: layer) else {
            throw AnalysisError.unexpectedLayer(layer: layer, layers: shape.layers, alreadySeen: true)
        }
        guard let base = attention.baseAddress else { return true }
        let t = shape.tokens, h = shape.heads
        // Heads last first: the forward pass wrote them in order just before, so the last ones
        // are the likeliest still in cache.
        ParallelChunks.run(chunks: h, threads: threadCount) { worker, chunk in
            let head = h - 1 - chunk
            scanHead(base + head * t * t, layer: layer, head: head, worker: worker)
        }
        ledger.recordLayer(layer)
        return (0..<h).allSatisfy { outcomes[layer * h + $0]?.finite ?? false }
    }

    /// Profiles head `head` of layer `layer`: its `(T, T)` probabilities (causal), on worker
    /// `worker`. The layer counts as consumed once all its heads are.
    /// - Returns: false when some visible entry is NaN or infinite (see `consume(layer:attention:)`).
    /// - Throws: `unexpectedLayer` for a layer out of range or a head fed twice,
    ///   `attentionSizeMismatch`, `invalidDimension` for a head or worker out of range.
    /// - Parameter rowEntropy: the rows' entropies `(T)` as the forward pass's softmax computed
    ///   them (`ForwardOptions.attentionRowEntropy`), used instead of a logarithm per entry; nil:
    ///   from the probabilities.
    @discardableResult
    public func consume(layer: Int, head: Int, worker: Int, attention: UnsafeBufferPointer<Float>,
                        rowEntropy: UnsafeBufferPointer<Float>? = nil) throws -> Bool {
        let t = shape.tokens
        try shape.checkHead(layer: layer, head: head, worker: worker, threadCount: threadCount,
                            attentionCount: attention.count)
        if let rowEntropy, rowEntropy.count != t {
            throw AnalysisError.invalidDimension(field: "rowEntropy", value: rowEntropy.count, accepted: "one entropy per row (\(t))")
        }
        try ledger.claim(layer: layer, head: head)
        guard let base = attention.baseAddress else { return true }
        return scanHead(base, layer: layer, head: head, worker: worker, rowEntropy: rowEntropy?.baseAddress)
    }

    @discardableResult
    private func scanHead(_ a: UnsafePointer<Float>, layer: Int, head: Int, worker: Int,
                          rowEntropy: UnsafePointer<Float>? = nil) -> Bool {
        let outcome = scanners[worker].scan(a, head: head, options: options, pairs: duplicatePairs, rowEntropy: rowEntropy)
        outcomes[layer * shape.heads + head] = outcome
        return outcome.finite
    }

    /// The profile; throws `missingLayers` unless every layer was consumed.
    /// - Parameter induction: `(L, H)` induction scores (`InductionAccumulator`), or nil.
    public func result(induction: [Double]? = nil) throws -> AttentionProfile {
        try requireAllLayers(ledger.layersSeen)
        let h = shape.heads
        if let induction, induction.count != shape.layers * h {
            throw AnalysisError.invalidDimension(field: "induction", value: induction.count, accepted: "L·H = \(shape.layers * h) scores")
        }
        let layers = (0..<shape.layers).map { l in
            ProfileLayer(layer: l, heads: (0..<h).compactMap { i -> ProfileHead? in
                guard let outcome = outcomes[l * h + i] else { return nil }
                var head = outcome.profile
                if let scores = outcome.scores {
                    head.assignRoles(scores, induction: induction?[l * h + i], options: options.roles)
                }
                return head
            })
        }
        return AttentionProfile(layers: layers, summary: ProfileSummary(averaging: layers.flatMap(\.heads)))
    }
}
