import Foundation

/// Protects the protocol stream from stray output.
enum StandardStreams {
    /// Moves the real stdout aside and points fd 1 at stderr, so that a `print` anywhere in
    /// the process lands in the log instead of corrupting the framed stream.
    /// - Returns: a descriptor for the original stdout (close-on-exec), for protocol bytes only.
    static func divertStandardOutput() -> Int32 {
        fflush(stdout)
        let protocolFD = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)
        dup2(STDERR_FILENO, STDOUT_FILENO)
        return protocolFD
    }
}
