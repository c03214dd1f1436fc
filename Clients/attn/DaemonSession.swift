import Foundation
import JSONRPC

/// One conversation with a daemon for the length of a command: a listening daemon on a Unix
/// socket when one answers, else a spawned `attnd --stdio`.
///
/// Threading: used from the main thread; progress and replies arrive on the connection's
/// reader thread, Ctrl-C on a global queue (see `InterruptHandler`).
final class DaemonSession {
    /// How the daemon was reached.
    enum Transport: Equatable {
        case socket(path: String)
        case spawned(executable: String)
    }

    static let clientVersion = "0.1.0"

    let client: RPCClient
    let transport: Transport
    /// `initialize`'s result.
    private(set) var serverInfo: JSONValue = .null
    private let progressBar: ProgressBar?
    private let progressToken: JSONValue = "attn"

    private init(client: RPCClient, transport: Transport, progressBar: ProgressBar?) {
        self.client = client
        self.transport = transport
        self.progressBar = progressBar
    }

    /// Connects or spawns, then runs `initialize` (and `model/load` for a listening daemon when
    /// `--model` is given).
    /// - Throws: `CLIFailure.unreachable` when no daemon can be reached or started,
    ///   `CLIFailure.daemon` when `initialize` or `model/load` is refused.
    static func open(_ options: DaemonOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DaemonSession {
        InterruptHandler.shared.install()
        let showProgress = options.progress || Terminal.stderrIsTerminal
        let bar = showProgress ? ProgressBar() : nil
        let onNotification: (RPCNotification) -> Void = { notification in
            guard notification.method == "$/progress", let value = notification.params?["value"] else { return }
            bar?.update(value)
        }
        let choice = options.socketChoice(environment: environment)
        let session: DaemonSession
        if let client = try connect(path: choice.path, required: choice.required, onNotification: onNotification) {
            session = DaemonSession(client: client, transport: .socket(path: choice.path), progressBar: bar)
            if options.noHistory || options.db != nil {
                // These configure a daemon attn starts; a listening one keeps its own history settings.
                Output.note("note: --no-history and --db apply only to a daemon attn spawns; the daemon listening on \(choice.path) keeps its own history (runs/list shows what it stores)")
            }
        } else {
            session = try spawn(options, environment: environment, progressBar: bar, onNotification: onNotification)
        }
        try session.initialize()
        // `--model` is loaded by a request in both cases, so a model that cannot be loaded is a
        // daemon error (exit 1, one line naming the folder) rather than a daemon that did not start.
        if let model = options.modelReference {
            var params = model.loadParams
            if options.forceModel { params["force"] = true }
            _ = try session.call("model/load", params: params, reportsProgress: true)
        }
        return session
    }

    private static func connect(path: String, required: Bool,
                                onNotification: @escaping (RPCNotification) -> Void) throws -> RPCClient? {
        do {
            return try RPCClient.connect(socketPath: path, onNotification: onNotification)
        } catch {
            guard required else {
                if let refusal = error as? SocketFolder.Failure, refusal.isOwnershipRefusal {
                    // Never talk to a daemon another user could have planted; run our own instead.
                    Output.note("attn: not using the default socket: \(refusal); spawning a private daemon instead")
                }
                return nil
            }
            throw CLIFailure.unreachable(
                "could not connect to attnd at \(path): \(error); start one with `attnd --listen \(path)`, "
                    + "or leave out --socket and $ATTND_SOCKET to let attn spawn its own")
        }
    }

    private static func spawn(_ options: DaemonOptions, environment: [String: String], progressBar: ProgressBar?,
                              onNotification: @escaping (RPCNotification) -> Void) throws -> DaemonSession {
        guard let executable = DefaultPaths.attnd(explicit: options.attnd, environment: environment) else {
            throw CLIFailure.unreachable("no daemon listens on \(DefaultPaths.socket(environment: environment)) and attnd was "
                + "found neither next to attn nor on PATH; pass --attnd PATH or --socket PATH")
        }
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw CLIFailure.unreachable("\(executable.path) is not an executable file; pass --attnd PATH to name the attnd executable")
        }
        var arguments = ["--stdio", "--log-level", "warning"]
        if options.noHistory { arguments.append("--no-history") }
        if let db = options.db { arguments += ["--db", db] }
        do {
            let client = try RPCClient.spawn(executable: executable, arguments: arguments, onNotification: onNotification)
            return DaemonSession(client: client, transport: .spawned(executable: executable.path), progressBar: progressBar)
        } catch {
            throw CLIFailure.unreachable("\(error); pass --attnd PATH to name the daemon executable")
        }
    }

    private func initialize() throws {
        let params: [String: JSONValue] = ["clientInfo": ["name": "attn", "version": .string(Self.clientVersion)]]
        serverInfo = try call("initialize", params: params, reportsProgress: false)
        client.notify("initialized", params: [:])
    }

    /// Sends one request and waits for its answer, however long the work takes.
    ///
    /// - Parameter reportsProgress: adds a `workDoneToken` so the daemon sends `$/progress`
    ///   (only when the bar is shown).
    /// - Throws: `CLIFailure.daemon` for an error response, `.interrupted` after Ctrl-C,
    ///   `.unreachable` when the daemon went away before `initialize` was answered, `.failed`
    ///   when it went away later.
    func call(_ method: String, params: [String: JSONValue] = [:], reportsProgress: Bool = false) throws -> JSONValue {
        var members = params
        if reportsProgress, progressBar != nil { members["workDoneToken"] = progressToken }
        let done = DispatchSemaphore(value: 0)
        let box = OutcomeBox()
        let id = client.makeID()
        let client = self.client
        InterruptHandler.shared.setAction { client.cancel(id) }
        client.send(method, params: .object(members), id: id) { outcome in
            box.outcome = outcome
            done.signal()
        }
        done.wait()
        InterruptHandler.shared.setAction(nil)
        if InterruptHandler.shared.interrupted { throw CLIFailure.interrupted }
        switch box.outcome {
        case .success(let value)?:
            return value
        case .failure(let error)?:
            if error.code == .internalError, error.message == RPCClient.Failure.connectionClosed(method: method).description {
                throw closedFailure(method: method)
            }
            throw CLIFailure.daemon(error)
        case nil:
            throw closedFailure(method: method)
        }
    }

    private func closedFailure(method: String) -> CLIFailure {
        var message = "the daemon closed the connection before answering \(method)"
        if case .spawned(let executable) = transport, let status = client.waitForExit(timeout: 2) {
            message = "\(executable) exited with status \(status) before answering \(method) (its messages are above)"
        }
        return method == "initialize" ? .unreachable(message) : .failed(message)
    }

    /// Ends the session politely: `shutdown`, `exit`, then closes the stream (a spawned daemon exits).
    func close() {
        _ = try? client.request("shutdown", params: nil, timeout: 5)
        client.notify("exit")
        client.close()
        _ = client.waitForExit(timeout: 5)
    }
}

private final class OutcomeBox: @unchecked Sendable {
    var outcome: Result<JSONValue, RPCError>?
}

extension DaemonSession {
    /// Opens a session, runs `body`, and closes the session whatever happens.
    static func with<Result>(_ options: DaemonOptions, _ body: (DaemonSession) throws -> Result) throws -> Result {
        let session = try open(options)
        defer { session.close() }
        return try body(session)
    }
}
