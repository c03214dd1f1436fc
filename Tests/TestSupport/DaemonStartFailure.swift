import Foundation

/// Thrown when a spawned `attnd --listen` never answers on its socket: the daemon crashed or
/// hung at start-up. A thrown error fails the test (it is not a skip).
public struct DaemonStartFailure: Error, CustomStringConvertible {
    public var path: String
    public var waitedSeconds: Double
    /// The exit status when the process had already ended, nil when it was still running.
    public var exitStatus: Int32?

    public init(path: String, waitedSeconds: Double, process: Process) {
        self.path = path
        self.waitedSeconds = waitedSeconds
        exitStatus = process.isRunning ? nil : process.terminationStatus
    }

    public var description: String {
        let state = exitStatus.map { "it exited with status \($0)" } ?? "it was still running"
        return "attnd --listen \(path) did not come up within \(waitedSeconds) s (\(state))"
    }
}
