import Foundation

/// Turns Ctrl-C (SIGINT) into `$/cancelRequest` for the request in flight.
///
/// SIGINT is ignored process-wide and observed through a `DispatchSourceSignal`. On the first
/// signal the registered `onInterrupt` runs (it sends the cancel); if the daemon has not
/// answered within `graceSeconds` the process exits 130 anyway. A second Ctrl-C exits at once.
/// Threading: `onInterrupt` is set from the calling thread and runs on a global queue.
final class InterruptHandler: @unchecked Sendable {
    static let shared = InterruptHandler()

    /// Seconds to wait for the -32800 answer after the cancel is sent.
    let graceSeconds = 2.0

    private let lock = NSLock()
    private var source: DispatchSourceSignal?
    private var fired = false
    private var action: (() -> Void)?

    /// True once SIGINT arrived.
    var interrupted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return fired
    }

    /// Installs the signal source (idempotent).
    func install() {
        lock.lock()
        defer { lock.unlock() }
        guard source == nil else { return }
        signal(SIGINT, SIG_IGN)
        let signalSource = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        signalSource.setEventHandler { [weak self] in self?.handleSignal() }
        signalSource.resume()
        source = signalSource
    }

    /// What to do on Ctrl-C while a request runs (nil: nothing in flight).
    func setAction(_ newAction: (() -> Void)?) {
        lock.lock()
        action = newAction
        lock.unlock()
    }

    private func handleSignal() {
        lock.lock()
        let second = fired
        fired = true
        let current = action
        lock.unlock()
        if second || current == nil {
            ProgressBar.clearLine()
            FileHandle.standardError.write(Data("attn: interrupted\n".utf8))
            exit(ExitStatus.interrupted.rawValue)
        }
        current?()
        DispatchQueue.global().asyncAfter(deadline: .now() + graceSeconds) {
            ProgressBar.clearLine()
            FileHandle.standardError.write(Data("attn: interrupted (the daemon did not confirm the cancel)\n".utf8))
            exit(ExitStatus.interrupted.rawValue)
        }
    }
}
