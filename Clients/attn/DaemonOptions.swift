import ArgumentParser
import Foundation
import JSONRPC

/// Options shared by every subcommand: which daemon to talk to and how to print.
struct DaemonOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Unix socket of a listening attnd (else $ATTND_SOCKET, else the default path; see `attn --help`).", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("The attnd executable to spawn when no daemon listens (default: attnd next to attn, else on PATH).", valueName: "path"))
    var attnd: String?

    @Option(help: ArgumentHelp("Model folder or HuggingFace cache name: passed to a spawned daemon as --model; sent as model/load to a listening one.", valueName: "path-or-name"))
    var model: String?

    @Flag(help: "With --model on a shared daemon: swap the model even while other clients use it (they are notified).")
    var forceModel = false

    @Flag(help: "Print the result as JSON (one line) instead of tables.")
    var json = false

    @Flag(help: "A spawned daemon stores no run history (attnd --no-history).")
    var noHistory = false

    @Option(help: ArgumentHelp("Run-history database of a spawned daemon (attnd --db).", valueName: "path"))
    var db: String?

    @Flag(help: "Show the progress bar on stderr even when stderr is not a terminal.")
    var progress = false

    /// Where to look for a listening daemon, and whether that socket must answer.
    func socketChoice(environment: [String: String] = ProcessInfo.processInfo.environment) -> (path: String, required: Bool) {
        if let socket { return (socket, true) }
        if let fromEnvironment = environment["ATTND_SOCKET"], !fromEnvironment.isEmpty { return (fromEnvironment, true) }
        return (DefaultPaths.socket(environment: environment), false)
    }

    /// `--model` as the daemon should see it: an existing folder becomes an absolute path
    /// (`model/load` refuses relative ones); anything else is a cache name.
    var modelReference: ModelReference? {
        guard let model else { return nil }
        return ModelReference(model)
    }
}

/// A model named on the command line: a folder on disk or a HuggingFace cache name.
enum ModelReference: Equatable {
    case path(String)
    case name(String)

    init(_ text: String) {
        var isDirectory: ObjCBool = false
        // A folder that exists, or anything spelled as a path (so a missing folder is reported as one).
        let spelledAsPath = text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("../") || text == "." || text == ".."
        if spelledAsPath || (FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory) && isDirectory.boolValue) {
            let url = URL(fileURLWithPath: text, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            self = .path(url.standardizedFileURL.path)
        } else {
            self = .name(text)
        }
    }

    /// The `model/load` params.
    var loadParams: [String: JSONValue] {
        switch self {
        case .path(let path): return ["path": .string(path)]
        case .name(let name): return ["name": .string(name)]
        }
    }

    /// The value for `attnd --model`.
    var argument: String {
        switch self {
        case .path(let path): return path
        case .name(let name): return name
        }
    }
}
