import ArgumentParser
import AttnProtocol
import JSONRPC

/// `attn runs`: the daemon's run history.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, show, delete and compare stored runs.",
        subcommands: [List.self, Show.self, Remove.self, Diff.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")

        @OptionGroup var daemon: DaemonOptions
        @OptionGroup var format: CSVOption

        func validate() throws {
            try AnalysisRunner.checkFormats(daemon, format)
        }

        @Option(help: ArgumentHelp("Only this method: forward, profileAttention, pruneSweep, perPositionKL.", valueName: "method"))
        var method: String?

        @Option(help: ArgumentHelp("Only this status: running, completed, failed, cancelled, interrupted.", valueName: "status"))
        var status: String?

        @Option(help: ArgumentHelp("Only runs of this model: a fingerprint, a prefix of one, or the name it was loaded by.", valueName: "model"))
        var withModel: String?

        @Option(parsing: .unconditional, help: ArgumentHelp("Runs to show, 1…1000 (daemon default 50).", valueName: "n"))
        var limit: Int?

        @Option(help: ArgumentHelp("Only runs created before this run id (the next page).", valueName: "id"))
        var before: String?

        func run() throws {
            var params: [String: JSONValue] = [:]
            if let method { params["method"] = .string(method) }
            if let status { params["status"] = .string(status) }
            if let limit { params["limit"] = .int(Int64(limit)) }
            if let before { params["before"] = .string(before) }
            let fullFingerprint = withModel.map { $0.count == 64 && $0.allSatisfy(\.isHexDigit) } ?? false
            if fullFingerprint, let withModel { params["model"] = .string(withModel.lowercased()) }
            try DaemonSession.with(daemon) { session in
                var result = try session.call("runs/list", params: params)
                var list = try result.decoded(RunsListResult.self, method: "runs/list")
                if let withModel, !fullFingerprint {
                    // A name or prefix: filtered here, on the page the daemon answered.
                    list.runs = list.runs.filter { $0.modelName == withModel || $0.model.hasPrefix(withModel.lowercased()) }
                    result = try JSONValue(encoding: list)
                }
                if daemon.json { return Output.line(JSONWriter.string(result)) }
                Output.line(format.csv ? CSV.runs(list) : RunsRenderer.list(list, terminal: .current()))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one run: its record, params and result.")

        @OptionGroup var daemon: DaemonOptions

        @Argument(help: "The run id, or a prefix of it that names one run.")
        var id: String

        func run() throws {
            try DaemonSession.with(daemon) { session in
                let raw = try session.call("runs/get", params: ["id": .string(try RunIDs.resolve(id, session: session))])
                if daemon.json { return Output.line(JSONWriter.string(raw)) }
                let run = try raw.decoded(Run.self, method: "runs/get")
                Output.line(try RunsRenderer.show(run, model: AnalysisRunner.modelShape(session, fingerprint: run.summary.model),
                                                  terminal: .current()))
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete runs from the history.")

        @OptionGroup var daemon: DaemonOptions

        @Argument(help: "The run ids (or unique prefixes).")
        var ids: [String]

        func validate() throws {
            if ids.isEmpty { throw ValidationError("give at least one run id") }
        }

        func run() throws {
            try DaemonSession.with(daemon) { session in
                for given in ids {
                    let id = try RunIDs.resolve(given, session: session)
                    let result = try session.call("runs/delete", params: ["id": .string(id)])
                    Output.line(daemon.json ? JSONWriter.string(result) : "deleted \(id)")
                }
            }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Two sweeps side by side, points matched by selection, block size and threshold.")

        @OptionGroup var daemon: DaemonOptions

        @Argument(help: "The first sweep's run id or unique prefix (A).")
        var a: String

        @Argument(help: "The second sweep's run id or unique prefix (B).")
        var b: String

        func run() throws {
            try DaemonSession.with(daemon) { session in
                var results: [(raw: JSONValue, sweep: PruneSweepResponse)] = []
                var runs: [Run] = []
                for given in [a, b] {
                    let id = try RunIDs.resolve(given, session: session)
                    let run = try session.call("runs/get", params: ["id": .string(id)]).decoded(Run.self, method: "runs/get")
                    runs.append(run)
                    guard run.summary.method == "pruneSweep" else {
                        throw CLIFailure.usage("run \(id) is a \(run.summary.method) run; runs diff compares two pruneSweep runs")
                    }
                    guard let result = run.result else {
                        throw CLIFailure.failed("run \(id) has no result (status \(run.summary.status))")
                    }
                    results.append((result, try result.decoded(PruneSweepResponse.self, method: "pruneSweep")))
                }
                let resultA = results[0].raw, resultB = results[1].raw
                if daemon.json {
                    Output.line(JSONWriter.string(["a": resultA, "b": resultB]))
                } else {
                    for warning in RunsRenderer.comparability(runs[0], runs[1]) { Output.note("attn: warning: \(warning)") }
                    Output.line(RunsRenderer.diff(idA: runs[0].summary.id, a: results[0].sweep, idB: runs[1].summary.id, b: results[1].sweep,
                                                  terminal: .current()))
                }
            }
        }
    }
}
