import ArgumentParser
import AttnProtocol
import Foundation
import JSONRPC

/// `attn model`: what the daemon holds, loading another model, downloading one.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Show, load or download the daemon's model.",
        subcommands: [Info.self, Load.self, Pull.self])

    /// Sends `model/load` (with progress) and prints the ModelInfo.
    static func load(_ daemon: DaemonOptions, params: [String: JSONValue]) throws {
        try DaemonSession.with(daemon) { session in
            let info = try session.call("model/load", params: params, reportsProgress: true)
            Output.line(daemon.json ? JSONWriter.string(info) : SmallRenderers.modelInfo(try info.decoded(ModelInfo.self, method: "model/info"), terminal: .current()))
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the loaded model.")

        @OptionGroup var daemon: DaemonOptions

        func run() throws {
            try DaemonSession.with(daemon) { session in
                let info = try session.call("model/info")
                Output.line(daemon.json ? JSONWriter.string(info) : SmallRenderers.modelInfo(try info.decoded(ModelInfo.self, method: "model/info"), terminal: .current()))
            }
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a model folder or a HuggingFace cache name (for every client of a listening daemon).")

        @OptionGroup var daemon: DaemonOptions

        @Argument(help: "A model folder, or a name in the HuggingFace cache such as gpt2.")
        var model: String

        func run() throws {
            try ModelCommand.load(daemon, params: ModelReference(model).loadParams)
        }
    }

    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a model into the HuggingFace cache (from $HF_ENDPOINT) and load it.",
            discussion: """
            The daemon fetches config.json, model.safetensors, vocab.json and merges.txt of revision \
            main into the hub cache layout ($HF_HUB_CACHE, else $HF_HOME/hub, else \
            $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub), resuming \
            partial files. A name is used as given: gpt2 is models--gpt2, openai-community/gpt2 is \
            models--openai-community--gpt2.
            """)

        @OptionGroup var daemon: DaemonOptions

        @Argument(help: "The hub repository, e.g. gpt2 or openai-community/gpt2.")
        var name: String

        func run() throws {
            try ModelCommand.load(daemon, params: ["name": .string(name), "download": true])
        }
    }
}

/// `attn socket-path`: prints the default socket path, for `attnd --listen "$(attn socket-path)"`.
struct SocketPathCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "socket-path",
        abstract: "Print the socket path attn tries (--socket, $ATTND_SOCKET, else the default).")

    @Option(help: ArgumentHelp("A socket path to print instead of the default.", valueName: "path"))
    var socket: String?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        if let socket { Output.line(socket); return }
        if let fromEnvironment = environment["ATTND_SOCKET"], !fromEnvironment.isEmpty { Output.line(fromEnvironment); return }
        Output.line(DefaultPaths.socket(environment: environment))
    }
}
