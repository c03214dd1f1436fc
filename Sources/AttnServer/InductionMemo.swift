import Foundation

/// `profileAttention`'s induction scores (Protocol/README.md §11), kept per loaded model.
///
/// They are a property of the weights alone: the induction sequence is built from
/// (`inductionSeed`, `inductionLength`) and the model's vocabulary, never from the request's
/// text, and the forward pass is deterministic (the same heads on the same threads' partition
/// give the same bits). So the pass over the sequence runs once per model and setting, not once
/// per request; a `model/load` builds a new `LoadedModel` and with it an empty memo.
///
/// Thread-safe (a lock); values are `(L, H)` scores, a few KiB at most.
final class InductionMemo: @unchecked Sendable {
    struct Key: Hashable {
        let seed: Int
        let length: Int
    }

    private let lock = NSLock()
    private var scores: [Key: [Double]] = [:]

    /// The stored scores of `key`, else `compute()`'s (stored when it returns; not stored when it
    /// throws). Two requests computing the same key at once both compute (the compute queue runs
    /// one at a time anyway).
    func scores(for key: Key, compute: () throws -> [Double]) rethrows -> [Double] {
        if let known = lock.withLock({ scores[key] }) { return known }
        let computed = try compute()
        lock.withLock { scores[key] = computed }
        return computed
    }

    /// How many settings are stored (tests).
    var count: Int { lock.withLock { scores.count } }
}
