import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Identifies the process that owns a `running` run: `host:pid:start-time`, where start-time
/// is the process start in clock ticks after boot (`/proc/<pid>/stat` field 22). The start
/// time tells a reused pid from the owner. Off Linux the start time is 0 and only the pid is
/// checked.
public enum RunOwner {
    /// This process's owner id, computed once.
    public static let current: String = "\(hostName()):\(getpid()):\(startTime(ofProcess: getpid()) ?? 0)"

    /// False only when the owner is known to be gone: same host, and no process with that pid
    /// and start time. A run of another host, or an id that does not parse, counts as alive.
    public static func isAlive(_ ownerID: String) -> Bool {
        guard let owner = parse(ownerID) else { return true }
        guard owner.host == hostName() else { return true }
        #if os(Linux)
        guard let started = startTime(ofProcess: owner.pid) else { return false }
        return started == owner.startTime
        #else
        return kill(owner.pid, 0) == 0 || errno == EPERM
        #endif
    }

    /// Splits `host:pid:start-time` (the host itself never holds a colon).
    static func parse(_ ownerID: String) -> (host: String, pid: pid_t, startTime: UInt64)? {
        let parts = ownerID.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty,
              let pid = pid_t(parts[1]), pid > 0, let startTime = UInt64(parts[2]) else { return nil }
        return (String(parts[0]), pid, startTime)
    }

    /// Start time of process `pid` in clock ticks after boot, nil when there is no such process
    /// (or no `/proc`). Parses after the last `)` because the command name may hold spaces.
    static func startTime(ofProcess pid: pid_t) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(cString: buffer).replacingOccurrences(of: ":", with: "_")
        return name.isEmpty ? "localhost" : name
    }
}
