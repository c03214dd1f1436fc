import Foundation
import GPT2

/// The dense (unpruned) forward pass of one input, kept so that `profileAttention`, then
/// `pruneSweep`, then `perPositionKL` on the same text run the model once.
final class DensePass: @unchecked Sendable {
    /// Every layer's attention probabilities, `(L, H, T, T)`, causal zeros included.
    let attention: OwnedFloats
    /// Next-token logits `(T, V)`, or nil when the pass that filled the entry skipped them.
    let logits: [Float]?
    /// Every layer's queries and keys, `(L, T, 2C)` (Q then K per token), so that estimators
    /// (which read Q and K) can run from the cache too; nil when the pass did not keep them.
    let queriesKeys: OwnedFloats?
    /// Every row's entropy as the pass's softmax computed it, `(L, H, T)` nats (what a fresh
    /// pass hands `profileAttention`, so a cached profile is the same to the bit); nil when the
    /// pass did not keep them.
    let rowEntropies: OwnedFloats?
    let layers: Int
    let heads: Int
    let tokens: Int

    init(attention: OwnedFloats, logits: [Float]?, queriesKeys: OwnedFloats? = nil, rowEntropies: OwnedFloats? = nil,
         layers: Int, heads: Int, tokens: Int) {
        self.attention = attention
        self.logits = logits
        self.queriesKeys = queriesKeys
        self.rowEntropies = rowEntropies
        self.layers = layers
        self.heads = heads
        self.tokens = tokens
    }

    /// Memory held, in bytes.
    var bytes: Int {
        (attention.count + (logits?.count ?? 0) + (queriesKeys?.count ?? 0) + (rowEntropies?.count ?? 0)) * MemoryLayout<Float>.size
    }

    /// Head `head` of layer `l`'s row entropies `(T)`, when kept.
    func rowEntropy(_ l: Int, head: Int) -> UnsafeBufferPointer<Float>? {
        rowEntropies.map { UnsafeBufferPointer(start: $0.base + (l * heads + head) * tokens, count: tokens) }
    }

    /// Layer `l`'s queries and keys, when kept. - Parameter headDim: D (C = H·D).
    func queriesKeys(_ l: Int, headDim: Int) -> LayerQueriesKeys? {
        guard let queriesKeys else { return nil }
        let rowStride = 2 * heads * headDim
        return LayerQueriesKeys(rows: queriesKeys.base + l * tokens * rowStride, rowStride: rowStride, tokens: tokens,
                                heads: heads, headDim: headDim)
    }

    /// Layer `l`'s attention, `(H, T, T)`.
    func layer(_ l: Int) -> UnsafeBufferPointer<Float> {
        let n = heads * tokens * tokens
        return UnsafeBufferPointer(start: attention.base + l * n, count: n)
    }
}

/// Least-recently-used cache of dense passes under a byte budget.
///
/// Keyed by (model fingerprint, token ids). An entry larger than the whole budget is never
/// stored (the analysis then streams layer by layer instead).
/// - Important: thread-safe (a lock guards the table); entries are immutable once stored.
final class DenseCache: @unchecked Sendable {
    struct Key: Hashable {
        let fingerprint: String
        let tokens: [Int]
    }

    /// Budget in bytes.
    let budget: Int
    private var entries: [Key: DensePass] = [:]
    private var order: [Key] = []      // least recently used first
    private var held = 0
    private let lock = NSLock()

    init(budget: Int) { self.budget = budget }

    /// The cached pass for `key`, refreshed as most recently used. With `needLogits` (or
    /// `needQueriesKeys`), an entry without logits (or without Q and K) does not count.
    func lookup(_ key: Key, needLogits: Bool, needQueriesKeys: Bool = false) -> DensePass? {
        lock.lock(); defer { lock.unlock() }
        guard let e = entries[key], !needLogits || e.logits != nil, !needQueriesKeys || e.queriesKeys != nil else { return nil }
        touch(key)
        return e
    }

    /// Whether a pass of this many bytes could be stored at all.
    func admits(bytes: Int) -> Bool { bytes <= budget }

    /// Stores `pass`, evicting least recently used entries until it fits.
    func store(_ key: Key, _ pass: DensePass) {
        guard admits(bytes: pass.bytes) else { return }
        lock.lock(); defer { lock.unlock() }
        if let old = entries.removeValue(forKey: key) {
            held -= old.bytes
            order.removeAll { $0 == key }
        }
        while held + pass.bytes > budget, let victim = order.first {
            order.removeFirst()
            if let e = entries.removeValue(forKey: victim) { held -= e.bytes }
        }
        entries[key] = pass
        order.append(key)
        held += pass.bytes
    }

    /// Drops every entry (the model changed).
    func removeAll() {
        lock.lock(); defer { lock.unlock() }
        entries.removeAll(); order.removeAll(); held = 0
    }

    /// Bytes currently held.
    var bytesHeld: Int { lock.lock(); defer { lock.unlock() }; return held }

    private func touch(_ key: Key) {
        order.removeAll { $0 == key }
        order.append(key)
    }
}
