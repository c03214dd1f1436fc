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
enum Output {
    static func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
