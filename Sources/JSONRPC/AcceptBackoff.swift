/// How the accept loop waits after `accept` fails (out of descriptors, say): the delay doubles
/// from 50 ms to 2 s while failures go on, and a streak is logged once when it starts and once
/// when it ends, never once per try.
///
/// Threading: a value owned by the accept loop.
public struct AcceptBackoff {
    public init() {}

    public static let firstDelayMicroseconds: UInt32 = 50_000
    public static let longestDelayMicroseconds: UInt32 = 2_000_000

    /// The pause before the next `accept`, in microseconds.
    public private(set) var delayMicroseconds: UInt32 = 0
    /// Consecutive failures so far.
    public private(set) var failures = 0

    /// Records a failure; returns a log line for the first one of a streak.
    public mutating func failed(_ error: Error) -> String? {
        failures += 1
        delayMicroseconds = failures == 1
            ? Self.firstDelayMicroseconds
            : min(delayMicroseconds * 2, Self.longestDelayMicroseconds)
        return failures == 1 ? "accept failed: \(error); retrying with backoff up to 2 s (logged once per streak)" : nil
    }

    /// Records a success; returns a log line when it ends a streak of failures.
    public mutating func succeeded() -> String? {
        defer { failures = 0; delayMicroseconds = 0 }
        return failures > 0 ? "accept works again after \(failures) failed tries" : nil
    }
}
