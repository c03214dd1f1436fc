import Foundation

/// What the terminal can show: colour only on a TTY with `NO_COLOR` unset.
struct Terminal {
    /// ANSI colour on stdout.
    let colour: Bool
    /// Columns available for heatmaps (from `$COLUMNS`, else 100).
    let width: Int

    static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Terminal {
        let noColour = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let columns = environment["COLUMNS"].flatMap(Int.init) ?? 100
        return Terminal(colour: isatty(STDOUT_FILENO) == 1 && !noColour, width: max(40, columns))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Wraps `text` in an ANSI 256-colour foreground when colour is on.
    func paint(_ text: String, colour256: Int) -> String {
        colour ? "\u{1B}[38;5;\(colour256)m\(text)\u{1B}[0m" : text
    }

    func bold(_ text: String) -> String {
        colour ? "\u{1B}[1m\(text)\u{1B}[0m" : text
    }
}

/// Writes to stdout (results) and stderr (progress, notes).
///
/// A reader that goes away (`attn forward … | head -3`) ends `attn` quietly with status 141,
/// as a shell reports a process ended by SIGPIPE: nothing is printed, no backtrace.
enum Output {
    /// The exit status when stdout's reader has gone (128 + SIGPIPE), as shells report.
    static let closedPipeStatus: Int32 = 141

    static func line(_ text: String = "") {
        if !write(text + "\n", to: STDOUT_FILENO) { exit(closedPipeStatus) }
    }

    static func note(_ text: String) {
        _ = write(text + "\n", to: STDERR_FILENO)
    }

    /// Writes all of `text`, retrying short writes and EINTR; false when the descriptor is
    /// closed at the other end (EPIPE) or fails otherwise. SIGPIPE is ignored by the process
    /// (`Connection.ignoreSIGPIPE`), so a gone reader shows up here as EPIPE.
    private static func write(_ text: String, to fd: Int32) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }
}
