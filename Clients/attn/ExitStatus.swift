import ArgumentParser
import Foundation
import JSONRPC

/// The exit codes of `attn`, documented in `attn --help` and Clients/attn/README.md.
enum ExitStatus: Int32 {
    case ok = 0
    /// The daemon answered with an error (or the command could not complete its work).
    case daemonError = 1
    /// Bad command line: unknown option, bad value, missing input.
    case usage = 2
    /// No daemon could be reached (socket) or started (spawn).
    case unreachable = 3
    /// Ctrl-C (SIGINT): the running request was cancelled.
    case interrupted = 130
}

/// A failure that ends `attn` with a specific exit code and one line on stderr.
enum CLIFailure: Error, CustomStringConvertible {
    /// An error response from the daemon.
    case daemon(RPCError)
    /// Bad input found while running (e.g. `--file` unreadable); exit 2.
    case usage(String)
    /// No daemon to talk to; exit 3.
    case unreachable(String)
    /// A local failure after the daemon answered (writing a file, an unexpected result); exit 1.
    case failed(String)
    /// SIGINT; exit 130.
    case interrupted

    var status: ExitStatus {
        switch self {
        case .daemon: return .daemonError
        case .usage: return .usage
        case .unreachable: return .unreachable
        case .failed: return .daemonError
        case .interrupted: return .interrupted
        }
    }

    var description: String {
        switch self {
        case .daemon(let error): return ErrorLine.format(error)
        case .usage(let message): return message
        case .unreachable(let message): return message
        case .failed(let message): return message
        case .interrupted: return "interrupted"
        }
    }
}

/// Formats a daemon error as one line in the command line's terms:
/// `error -32602: --thresholds item 3: 1.5 is not a number in (0, 1]`.
enum ErrorLine {
    static func format(_ error: RPCError) -> String {
        var line = "error \(error.code.rawValue): "
        if let data = error.data, let field = data["field"]?.stringValue, let accepted = data["accepted"]?.stringValue {
            let flag = CLINames.field(field)
            let range = CLINames.sentence(accepted)
            if ["text", "tokens", "texts"].contains(where: { field.hasPrefix($0) }),
               let limit = accepted.range(of: #"at most (\d+) tokens"#, options: .regularExpression).map({ accepted[$0] }),
               data["value"]?.intValue != nil {
                // The daemon stops counting one token past the limit: the value says "more than".
                let n = limit.split(separator: " ")[2]
                line += "\(flag) has more than \(n) tokens, the model's context; pass --truncate to keep the first \(n), "
                    + "or split the text"
            } else if let value = data["value"], value != .null {
                var shown = JSONWriter.string(value)
                if shown.count > 60 { shown = String(shown.prefix(60)) + "…" }
                if range.hasPrefix("only with ") {
                    line += "\(flag) \(shown) needs \(range.dropFirst("only with ".count))"
                } else {
                    line += "\(flag): \(shown) is not \(range)"
                }
            } else {
                let message = CLINames.sentence(error.message)
                line += (message.hasPrefix(flag) ? message : "\(flag): \(message)") + " (accepted: \(range))"
            }
        } else {
            line += CLINames.sentence(error.message)
            if let reason = error.data?["reason"]?.stringValue, !error.message.contains(reason) {
                line += " (\(reason))"
            }
        }
        return line.replacingOccurrences(of: "\n", with: " ")
    }
}

/// Parses the command line, runs it, and exits with an `ExitStatus`.
enum AttnEntry {
    static func run() -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        var command: ParsableCommand
        do {
            command = try Attn.parseAsRoot(arguments)
        } catch {
            exitForParse(error)
        }
        do {
            try command.run()
        } catch let failure as CLIFailure {
            FileHandle.standardError.write(Data("attn: \(failure.description)\n".utf8))
            exit(failure.status.rawValue)
        } catch {
            exitForParse(error)
        }
        exit(ExitStatus.ok.rawValue)
    }

    /// Help and version exit 0; every other argument-parser error is a usage error (exit 2).
    private static func exitForParse(_ error: Error) -> Never {
        let code = Attn.exitCode(for: error)
        if code == .success {
            Attn.exit(withError: error)
        }
        var message = Attn.fullMessage(for: error)
        if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
        FileHandle.standardError.write(Data("attn: \(message)\n".utf8))
        exit(ExitStatus.usage.rawValue)
    }
}
