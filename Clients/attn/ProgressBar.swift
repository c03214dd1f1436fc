import Foundation
import JSONRPC

/// A one-line progress bar on stderr, fed by `$/progress` notifications.
///
/// Threading: `update` runs on the connection's reader thread; drawing is serialised by a lock.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var drawn = false
    private let width = 30
    /// When the current request's `begin` arrived (for the ETA).
    private var startedAt: Date?

    /// Applies one `$/progress` `value` (`{kind, title?, message?, percentage?}`).
    func update(_ value: JSONValue) {
        lock.lock()
        defer { lock.unlock() }
        let kind = value["kind"]?.stringValue ?? ""
        if kind == "begin" || startedAt == nil { startedAt = Date() }
        if kind == "end" {
            startedAt = nil
            if drawn {
                if Terminal.stderrIsTerminal { ProgressBar.clearLine() } else { FileHandle.standardError.write(Data("\n".utf8)) }
            }
            drawn = false
            return
        }
        let percentage = max(0, min(100, value["percentage"]?.intValue ?? 0))
        let filled = percentage * width / 100
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        var text = "\r\(bar) \(String(format: "%3d", percentage))%"
        if let message = value["message"]?.stringValue ?? value["title"]?.stringValue { text += " \(message)" }
        if let eta = ProgressBar.eta(percentage: percentage, elapsed: Date().timeIntervalSince(startedAt ?? Date())) {
            text += " · ETA \(eta)"
        }
        FileHandle.standardError.write(Data((text + "\u{1B}[K").utf8))
        drawn = true
    }

    /// The remaining time at `percentage` after `elapsed` seconds, assuming a constant rate
    /// (`"1m05s"`, `"42s"`); nil before 1 s or 1% (too early to say) and at 100%.
    static func eta(percentage: Int, elapsed: TimeInterval) -> String? {
        guard percentage >= 1, percentage < 100, elapsed >= 1 else { return nil }
        let seconds = Int((elapsed * Double(100 - percentage) / Double(percentage)).rounded())
        return seconds >= 60 ? "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s" : "\(seconds)s"
    }

    /// Erases the bar's line (on a terminal; elsewhere there is nothing to erase).
    static func clearLine() {
        if Terminal.stderrIsTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
    }
}
