import Foundation
import JSONRPC

/// A one-line progress bar on stderr, fed by `$/progress` notifications.
///
/// Threading: `update` runs on the connection's reader thread; drawing is serialised by a lock.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var drawn = false
    private let width = 30

    /// Applies one `$/progress` `value` (`{kind, title?, message?, percentage?}`).
    func update(_ value: JSONValue) {
        lock.lock()
        defer { lock.unlock() }
        let kind = value["kind"]?.stringValue ?? ""
        if kind == "end" {
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
        FileHandle.standardError.write(Data((text + "\u{1B}[K").utf8))
        drawn = true
    }

    /// Erases the bar's line (on a terminal; elsewhere there is nothing to erase).
    static func clearLine() {
        if Terminal.stderrIsTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
    }
}
