import Foundation

/// One unit of queued work: a request that runs on the compute thread.
final class ComputeJob: @unchecked Sendable {
    let context: RequestContext
    let exclusive: Bool
    /// Runs the handler and answers the request. Called on the compute thread.
    let run: () -> Void
    /// Answers -32800 for a job removed from the queue before it started. Called on the cancelling thread.
    let cancelledWhileQueued: () -> Void

    init(context: RequestContext, exclusive: Bool, run: @escaping () -> Void, cancelledWhileQueued: @escaping () -> Void) {
        self.context = context
        self.exclusive = exclusive
        self.run = run
        self.cancelledWhileQueued = cancelledWhileQueued
    }
}

/// The one serial compute queue shared by every connection.
///
/// At most `capacity` jobs wait behind the running one; `enqueue` refuses more. Jobs run in
/// arrival order on one dedicated thread (16 MiB stack). `.exclusive` jobs hold the session
/// gate exclusively while they run.
final class ComputeQueue: @unchecked Sendable {
    let capacity: Int
    private let gate: SessionGate
    private let condition = NSCondition()
    private var waiting: [ComputeJob] = []
    private var running: ComputeJob?
    private var stopped = false

    init(capacity: Int, gate: SessionGate) {
        self.capacity = max(0, capacity)
        self.gate = gate
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
    func cancel(_ job: ComputeJob) {
        job.context.cancel()
        condition.lock()
        let index = waiting.firstIndex { $0 === job }
        if let index { waiting.remove(at: index) }
        condition.unlock()
        if index != nil { job.cancelledWhileQueued() }
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
            if job.exclusive {
                gate.exclusive { job.run() }
            } else {
                job.run()
            }
            condition.lock()
            running = nil
            condition.unlock()
        }
    }
}
