import Foundation

/// The first error thrown by bodies run on several threads; later bodies are skipped once one
/// has failed.
public final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?

    public init() {}

    /// Runs `body` unless an error was already recorded; records the error it throws.
    public func run(_ body: () throws -> Void) {
        lock.lock()
        let failed = error != nil
        lock.unlock()
        guard !failed else { return }
        do { try body() } catch {
            lock.lock()
            if self.error == nil { self.error = error }
            lock.unlock()
        }
    }

    /// Throws the recorded error, if any.
    public func rethrow() throws {
        lock.lock(); defer { lock.unlock() }
        if let error { throw error }
    }
}
