import Foundation

/// Where `attn` looks for the daemon by default.
enum DefaultPaths {
    /// `$XDG_RUNTIME_DIR/selectattention/attnd.sock`, or `/tmp/selectattention-$UID/attnd.sock`
    /// when `XDG_RUNTIME_DIR` is unset or empty.
    static func socket(environment: [String: String]) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return (runtime as NSString).appendingPathComponent("selectattention/attnd.sock")
        }
        return "/tmp/selectattention-\(getuid())/attnd.sock"
    }

    /// Where `attn report` writes without `--output`: `$XDG_DATA_HOME/selectattention/reports`,
    /// else `~/.local/share/selectattention/reports` (beside the run history, never the working folder).
    static func reports(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".local/share")
        return URL(fileURLWithPath: data).appendingPathComponent("selectattention/reports")
    }

    /// The daemon executable: `--attnd`, else `attnd` in the folder of the running `attn`,
    /// else the first `attnd` on `PATH`. Nil when none is found.
    static func attnd(explicit: String?, environment: [String: String]) -> URL? {
        if let explicit { return URL(fileURLWithPath: explicit) }
        let fileManager = FileManager.default
        let selfPath = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let sibling = selfPath.deletingLastPathComponent().appendingPathComponent("attnd")
        if fileManager.isExecutableFile(atPath: sibling.path) { return sibling }
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            let beside = executable.deletingLastPathComponent().appendingPathComponent("attnd")
            if fileManager.isExecutableFile(atPath: beside.path) { return beside }
        }
        for folder in (environment["PATH"] ?? "").split(separator: ":") where !folder.isEmpty {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("attnd")
            if fileManager.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
