import Foundation

/// Remembers the BPE result of pre-tokens already seen (words repeat a lot in real text).
///
/// Thread-safe: every access takes a lock; the merge work itself happens outside it.
/// Bounded: holds at most `capacity` words and starts afresh when full; words longer than
/// `maxWordBytes` are not cached.
final class BPEWordCache: @unchecked Sendable {
    let capacity: Int
    let maxWordBytes: Int
    private var entries: [[UInt8]: [Int32]] = [:]
    private let lock = NSLock()

    init(capacity: Int = 100_000, maxWordBytes: Int = 128) {
        self.capacity = capacity
        self.maxWordBytes = maxWordBytes
    }

    func lookup(_ word: [UInt8]) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[word]
    }

    func store(_ word: [UInt8], _ ids: [Int32]) {
        guard word.count <= maxWordBytes else { return }
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[word] = ids
    }
}
