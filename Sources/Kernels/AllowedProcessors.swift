import Foundation

/// How many processors this process may run on: its CPU affinity mask (`taskset`,
/// `sched_setaffinity`, a container's cpuset), which Foundation's `activeProcessorCount` ignores
/// on Linux. A daemon pinned to one core then computes on one thread instead of two threads
/// time-sliced on that core.
enum AllowedProcessors {
    /// The processors of `Cpus_allowed` in /proc/self/status (a hex mask in comma-separated
    /// 32-bit words), or nil where that cannot be read (not Linux).
    static func count() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return count(statusText: status)
    }

    /// The bits set in the `Cpus_allowed:` line of a /proc/PID/status text; nil without one.
    static func count(statusText: String) -> Int? {
        guard let line = status(statusText, "Cpus_allowed") else { return nil }
        var bits = 0
        for c in line where c != "," {
            guard let digit = c.hexDigitValue else { return nil }
            bits += digit.nonzeroBitCount
        }
        return bits > 0 ? bits : nil
    }

    private static func status(_ text: String, _ key: String) -> Substring? {
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return line.dropFirst(key.count + 1).drop(while: { $0 == " " || $0 == "\t" })
        }
        return nil
    }
}
