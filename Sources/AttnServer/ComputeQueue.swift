import Foundation

/// One unit of queued work: a request that runs on the compute thread.
final class ComputeJob: @unchecked Sendable {
    let context: RequestContext
    /// Runs the handler and answers the request. Called on the compute thread.
    let run: () -> Void
    /// Answers -32800 for a job removed from the queue before it started. Called on the cancelling thread.
    let cancelledWhileQueued: () -> Void

    init(context: RequestContext, run: @escaping () -> Void, cancelledWhileQueued: @escaping () -> Void) {
        self.context = context
        self.run = run
        self.cancelledWhileQueued = cancelledWhileQueued
    }
}

/// The one serial compute queue shared by every connection.
///
/// At most `capacity` jobs wait behind the running one; `enqueue` refuses more. Jobs run in
/// arrival order on one dedicated thread (16 MiB stack). Nothing here blocks `.immediate`
/// requests: they never wait for this queue (a model load runs here too, and swaps the model in
/// atomically when it is done).
final class ComputeQueue: @unchecked Sendable {
    let capacity: Int
    private let condition = NSCondition()
    private var waiting: [ComputeJob] = []
    private var running: ComputeJob?
    private var stopped = false

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        let thread = Thread { [self] in workLoop() }
        thread.name = "attnd-compute"
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// Queues `job`; false when `capacity` jobs are already waiting (or the queue is stopped).
    func enqueue(_ job: ComputeJob) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, waiting.count < capacity else { return false }
        waiting.append(job)
        condition.signal()
        return true
    }

    /// Cancels `job`: a waiting job is removed and answered -32800 at once; a running one is
    /// flagged and answers when its handler next checks.
    func cancel(_ job: ComputeJob) { cancel([job]) }

    /// Cancels several jobs at once: all are flagged before any is removed, so the worker
    /// cannot start one of them while the others are being cancelled.
    func cancel(_ jobs: [ComputeJob]) {
        for job in jobs { job.context.cancel() }
        condition.lock()
        let removed = jobs.filter { job in
            guard let index = waiting.firstIndex(where: { $0 === job }) else { return false }
            waiting.remove(at: index)
            return true
        }
        condition.unlock()
        for job in removed { job.cancelledWhileQueued() }
    }

    /// Number of waiting jobs (not counting the running one).
    var waitingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiting.count
    }

    /// Stops the worker after the running job; waiting jobs are cancelled and answered.
    func stop() {
        condition.lock()
        stopped = true
        let dropped = waiting
        waiting.removeAll()
        condition.signal()
        condition.unlock()
        for job in dropped {
            job.context.cancel()
            job.cancelledWhileQueued()
        }
    }

    private func workLoop() {
        while true {
            condition.lock()
            while waiting.isEmpty && !stopped { condition.wait() }
            if stopped {
                condition.unlock()
                return
            }
            let job = waiting.removeFirst()
            running = job
            condition.unlock()
            job.run()
            condition.lock()
            running = nil
            condition.unlock()
        }
    }
}
