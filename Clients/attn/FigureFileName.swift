import Foundation

/// The file name a figure from the daemon is written under, inside the folder the user chose.
///
/// The name comes from the daemon (which could be anyone's socket): only a plain file name is
/// accepted — no `/`, no NUL or other control character, not `.`/`..`, not hidden, at most 255
/// bytes, ending `.svg` — so a figure can never land outside the folder or replace a dotfile.
enum FigureFileName {
    /// `name` when it is a plain `.svg` file name; else `CLIFailure.failed` naming it.
    static func validated(_ name: String) throws -> String {
        let bytes = Array(name.utf8)
        let plain = !name.isEmpty && bytes.count <= 255 && !name.hasPrefix(".")
            && !name.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.properties.generalCategory == .control }
            && name.hasSuffix(".svg")
        guard plain else {
            let shown = name.unicodeScalars.map { $0.escaped(asASCII: true) }.joined().prefix(80)
            throw CLIFailure.failed("refusing the figure name \"\(shown)\" from the daemon: expected a plain file name ending .svg (no '/', '..', control characters or leading '.')")
        }
        return name
    }
}
