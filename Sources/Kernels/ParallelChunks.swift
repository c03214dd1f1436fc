import Dispatch
import Foundation

/// Runs independent chunks of work on a few threads that block (never spin) when idle.
///
/// Chunks are handed out one at a time from a shared counter, so when the machine gives only
/// one core's worth of CPU the busy thread simply takes more chunks: nothing waits on a static
/// half of the work.
public enum ParallelChunks {
    /// Threads used by default: the active processor count, or fewer when the process's CPU
    /// affinity allows fewer (`taskset -c 0 attnd` computes on one thread).
    public static let defaultThreads: Int = max(1, min(ProcessInfo.processInfo.activeProcessorCount,
                                                       AllowedProcessors.count() ?? Int.max))

    /// Calls `body(worker, chunk)` once for every chunk in `0..<chunks`, on up to `threads`
    /// threads. `worker` is in `0..<threads` and identifies per-thread scratch. Returns when all
    /// chunks are done. `body` must only touch state disjoint per chunk or per worker.
    public static func run(chunks: Int, threads: Int, _ body: (_ worker: Int, _ chunk: Int) -> Void) {
        let workers = min(max(threads, 1), chunks)
        if workers <= 1 {
            for chunk in 0..<chunks { body(0, chunk) }
            return
        }
        let counter = ChunkCounter(limit: chunks)
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while let chunk = counter.next() { body(worker, chunk) }
            }
        }
    }
}

/// A lock-protected counter handing out `0..<limit` once each.
private final class ChunkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}
