import ArgumentParser
import AttnMCP
import AttnProtocol
import AttnServer
import Foundation
import JSONRPC
import Logging

/// `attnd`: holds one GPT-2 model and answers attention-analysis requests over JSON-RPC 2.0
/// with LSP framing, on stdio (one client) or a Unix socket (many clients); or, with `--mcp`,
/// the Model Context Protocol on stdio (one agent, the analyses as tools).
struct AttnDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attnd",
        abstract: "The SelectAttention daemon: GPT-2 attention analyses over JSON-RPC (LSP framing).",
        version: "attnd \(ServerConfiguration().serverVersion) (protocol \(ServerConfiguration.protocolVersion))")

    @Flag(help: "Serve one client on stdin/stdout (what editors spawn).")
    var stdio = false

    @Flag(help: "Serve one Model Context Protocol client (an agent) on stdin/stdout: newline-delimited JSON-RPC, the methods as tools.")
    var mcp = false

    @Option(name: .customLong("listen"), help: ArgumentHelp("Serve any number of clients on this Unix socket path (created mode 0600).", valueName: "path"))
    var socketPath: String?

    @Option(help: ArgumentHelp("Model folder or HuggingFace cache name to load at start.", valueName: "path-or-name"))
    var model: String?

    @Option(help: ArgumentHelp("Run-history SQLite database file.", valueName: "path"))
    var db: String?

    @Option(name: .customLong("export-dir"), help: ArgumentHelp("Folder exportPath must write inside; relative exportPaths are resolved against it.", valueName: "path"))
    var exportDirectory: String?

    @Flag(help: "Do not store runs in the history database.")
    var noHistory = false

    @Option(help: "Compute requests that may wait behind the running one; more are refused with -32000.")
    var maxQueue = ServerConfiguration.defaultMaxQueue

    @Option(help: "Clients served at once on the socket; more are answered -32000 and closed.")
    var maxClients = 64

    @Option(help: "Largest accepted message body, in bytes; larger ones are skipped unread and refused with -32007.")
    var maxMessageBytes = ServerConfiguration.defaultMaxMessageBytes

    @Option(help: "Memory budget of the dense-pass cache, in bytes.")
    var cacheBudgetBytes = ServerConfiguration.defaultCacheBudgetBytes

    @Option(help: "Response bytes a client may leave unread before it is disconnected and its work cancelled.")
    var maxOutputQueueBytes = ServerConfiguration.defaultMaxOutputQueueBytes

    @Option(help: "A model download bringing under 1 KiB in this many seconds is ended as stalled.")
    var downloadStallSeconds = ServerConfiguration.defaultDownloadStallSeconds

    @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        if [stdio, mcp, socketPath != nil].filter({ $0 }).count != 1 {
            throw ValidationError("give exactly one of --stdio, --mcp or --listen PATH")
        }
        if maxClients < 1 { throw ValidationError("--max-clients must be ≥ 1 (got \(maxClients))") }
        if maxQueue < 0 { throw ValidationError("--max-queue must be ≥ 0 (got \(maxQueue))") }
        if maxMessageBytes < 1 { throw ValidationError("--max-message-bytes must be ≥ 1 (got \(maxMessageBytes))") }
        if maxOutputQueueBytes < 1 { throw ValidationError("--max-output-queue-bytes must be ≥ 1 (got \(maxOutputQueueBytes))") }
        if !(downloadStallSeconds > 0 && downloadStallSeconds <= 86_400) {
            throw ValidationError("--download-stall-seconds must be in (0, 86400] (got \(downloadStallSeconds))")
        }
        if cacheBudgetBytes < 0 { throw ValidationError("--cache-budget-bytes must be ≥ 0 (got \(cacheBudgetBytes))") }
        for (flag, path) in [("--db", db), ("--model", model), ("--export-dir", exportDirectory)] {
            if let path, let problem = PathRules.problem(in: path) {
                throw ValidationError("\(flag) '\(path)' \(problem.found); accepted: \(problem.accepted)")
            }
        }
        if Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")) (got \(logLevel))")
        }
    }

    func run() throws {
        let protocolOutput = StandardStreams.divertStandardOutput()
        Connection.ignoreSIGPIPE()
        // Past a file-size limit (RLIMIT_FSIZE) a write then fails with EFBIG, answered as
        // -32006, instead of the signal ending the daemon.
        signal(SIGXFSZ, SIG_IGN)
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "attnd")

        // Bind before loading the model: a socket that cannot be served fails at once, not
        // after a load of seconds.
        var listener: SocketListener?
        if let socketPath {
            do {
                listener = try SocketListener.open(path: socketPath, logger: logger)
            } catch {
                // A start-up failure, like a model that cannot be loaded: exit code 2.
                logger.critical("cannot start: \(error)")
                Foundation.exit(2)
            }
        }

        var exportFolder: String?
        if let exportDirectory {
            do {
                exportFolder = try ServerConfiguration.resolveExportDirectory(exportDirectory)
            } catch {
                logger.critical("cannot start: \(error)")
                if let socketPath { unlink(socketPath) }
                Foundation.exit(2)
            }
        }
        let configuration = ServerConfiguration(
            model: model, databasePath: db, historyEnabled: !noHistory, maxQueue: maxQueue,
            maxMessageBytes: maxMessageBytes, cacheBudgetBytes: cacheBudgetBytes,
            maxOutputQueueBytes: maxOutputQueueBytes, downloadStallSeconds: downloadStallSeconds,
            exportDirectory: exportFolder)
        let registry = MethodRegistry()
        do {
            try registerAnalysisMethods(into: registry, configuration: configuration, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            if let socketPath { unlink(socketPath) }
            Foundation.exit(2)
        }
        let server = RPCServer(configuration: configuration, registry: registry, logger: logger)

        if let listener {
            logger.info("attnd listening on \(listener.path) (pid \(getpid()))")
            listener.serve(server, maxMessageBytes: maxMessageBytes, maxClients: maxClients)
        } else if mcp {
            MCPStdioTransport.serve(server, protocolOutput: protocolOutput, maxMessageBytes: maxMessageBytes)
        } else {
            logger.info("attnd serving on stdio (pid \(getpid()))")
            StdioTransport.serve(server, protocolOutput: protocolOutput, maxMessageBytes: maxMessageBytes)
        }
    }
}
