import Foundation

/// What the terminal can show: colour only on a TTY with `NO_COLOR` unset, and how wide.
struct Terminal {
    /// ANSI colour on stdout.
    let colour: Bool
    /// Columns tables must fit: `$COLUMNS` when set, else the terminal's width when stdout is one;
    /// nil when stdout is a pipe or file without `$COLUMNS` (tables are printed whole there).
    let tableWidth: Int?

    /// Columns for heatmaps: the table width, else 100.
    var width: Int { max(40, tableWidth ?? 100) }

    init(colour: Bool, width: Int?) {
        self.colour = colour
        tableWidth = width.map { max(40, $0) }
    }

    static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Terminal {
        let noColour = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let onTerminal = isatty(STDOUT_FILENO) == 1
        var columns = environment["COLUMNS"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 > 0 ? $0 : nil }
        if columns == nil, onTerminal {
            var size = winsize()
            if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { columns = Int(size.ws_col) }
        }
        return Terminal(colour: onTerminal && !noColour, width: columns)
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Wraps `text` in an ANSI 256-colour foreground when colour is on.
    func paint(_ text: String, colour256: Int) -> String {
        colour ? "\u{1B}[38;5;\(colour256)m\(text)\u{1B}[0m" : text
    }

    /// A section title: word-wrapped to the table width, then bold.
    func title(_ text: String) -> String {
        bold(Prose.wrap(text, width: tableWidth))
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
