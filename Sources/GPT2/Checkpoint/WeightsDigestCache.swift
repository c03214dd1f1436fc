import Crypto
import Foundation

/// Remembers the SHA-256 of weights files that passed the load-time scan, keyed by
/// `FileIdentity` (path, device, inode, size, mtime, ctime), so that loading the same
/// unchanged file again neither rehashes nor rescans it.
///
/// Only files whose every weight was finite are remembered (see `CheckpointScan`), so a hit
/// stands for both the digest and the scan. Process-wide, in memory; bounded at `capacity`
/// files (starts afresh when full).
///
/// Racy writes: the kernel stamps ctime from a coarse clock (a few ms per tick), so a file
/// rewritten in place twice within one tick keeps its identity. As git does for its index, a
/// file is remembered only when its last change is at least `minimumAge` seconds older than
/// the moment its hashing began: any later write then gets a later ctime. A file written
/// moments ago is simply hashed again on the next load.
///
/// - Important: thread-safe; every access takes a lock.
public final class WeightsDigestCache: @unchecked Sendable {
    /// The cache `GPT2Checkpoint.load` uses by default.
    public static let shared = WeightsDigestCache()

    let capacity: Int
    /// Seconds a file must have been unchanged before hashing for its digest to be remembered.
    let minimumAge: Double
    private var entries: [FileIdentity: SHA256.Digest] = [:]
    private var hashedCount = 0
    private let lock = NSLock()

    public init(capacity: Int = 64, minimumAge: Double = 1) {
        self.capacity = capacity
        self.minimumAge = minimumAge
    }

    /// How many files were hashed (not found here) since this cache was made.
    public var filesHashed: Int {
        lock.lock()
        defer { lock.unlock() }
        return hashedCount
    }

    /// The remembered digest of the file with this identity.
    func lookup(_ identity: FileIdentity) -> SHA256.Digest? {
        lock.lock()
        defer { lock.unlock() }
        return entries[identity]
    }

    /// Records that `identity` was hashed from `hashingStarted` on (and, when `digest` is
    /// given, that it passed); remembers it when the file had settled by then.
    func store(_ identity: FileIdentity, _ digest: SHA256.Digest?, hashingStarted: Date) {
        lock.lock()
        defer { lock.unlock() }
        hashedCount += 1
        let settledBefore = Int64(((hashingStarted.timeIntervalSince1970 - minimumAge) * 1e9).rounded(.down))
        guard let digest, identity.changedNanoseconds < settledBefore,
              identity.modifiedNanoseconds < settledBefore else { return }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[identity] = digest
    }
}
