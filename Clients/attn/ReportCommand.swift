import ArgumentParser
import AttnProtocol
import Foundation
import JSONRPC

/// `attn report`: a self-contained HTML report (or one SVG per figure) of stored runs,
/// rendered by the daemon (`runs/report`).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an offline HTML report (or SVG figures) of runs; the newest run with figures by default.",
        discussion: """
        The HTML file has inline SVG and CSS only: it opens offline and can be shared as is. \
        With --format svg, each figure is written as its own SVG file into the --output folder. \
        Without ids the newest completed pruneSweep, perPositionKL, profileAttention or calibrate run is \
        reported (forward runs have no figure). Without --output the report goes to \
        $XDG_DATA_HOME/selectattention/reports/ (else ~/.local/share/selectattention/reports/), \
        named for the first run id, and its path is printed.
        """)

    @OptionGroup var daemon: DaemonOptions

    @Argument(help: "Run ids to report on (several are overlaid). Default: the newest completed run that has figures.")
    var ids: [String] = []

    @Option(name: [.short, .customLong("output")],
            help: ArgumentHelp("Where to write: the HTML file, or the folder for --format svg (default: in the reports folder, see below).", valueName: "path"))
    var output: String?

    @Option(help: ArgumentHelp("html (one file) or svg (one file per figure).", valueName: "format"))
    var format: String = "html"

    @Option(help: ArgumentHelp("Title of the report.", valueName: "text"))
    var title: String?

    func validate() throws {
        guard ["html", "svg"].contains(format) else { throw ValidationError("--format must be html or svg (got \(format))") }
        if daemon.json { throw ValidationError("report writes files and prints their paths; --json does not apply (use --format svg for figures)") }
    }

    func run() throws {
        try DaemonSession.with(daemon) { session in
            var runIDs = try ids.map { try RunIDs.resolve($0, session: session) }
            if runIDs.isEmpty {
                // The newest completed run of a method the report draws (RFC 3339 UTC sorts as text).
                let newest = try ["pruneSweep", "perPositionKL", "profileAttention", "calibrate"].compactMap { method in
                    try session.call("runs/list", params: ["status": "completed", "method": .string(method), "limit": 1])
                        .decoded(RunsListResult.self, method: "runs/list").runs.first
                }.max { $0.createdAt < $1.createdAt }
                guard let id = newest?.id else {
                    throw CLIFailure.usage("no completed sweep, kl, profile or calibrate run in the history yet: run `attn sweep …` first, or name run ids")
                }
                runIDs = [id]
            }
            var params: [String: JSONValue] = ["ids": .array(runIDs.map { .string($0) }), "format": .string(format)]
            if let title { params["title"] = .string(title) }
            let result = try session.call("runs/report", params: params).decoded(RunsReportResult.self, method: "runs/report")
            if format == "svg" {
                let folder = URL(fileURLWithPath: output ?? DefaultPaths.reports().appendingPathComponent("figures-\(runIDs[0].prefix(8))").path)
                try write { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
                let figures = result.figures ?? []
                // Every name is checked before anything is written.
                let names = try figures.map { try FigureFileName.validated($0.name) }
                for (figure, name) in zip(figures, names) {
                    let url = folder.appendingPathComponent(name, isDirectory: false)
                    try write { try Data(figure.svg.utf8).write(to: url, options: .atomic) }
                    Output.line(url.path)
                }
            } else {
                guard let html = result.html else { throw CLIFailure.failed("the daemon returned no html") }
                let url = URL(fileURLWithPath: output ?? DefaultPaths.reports().appendingPathComponent("report-\(runIDs[0].prefix(8)).html").path)
                if output == nil {
                    try write { try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true) }
                }
                try write { try Data(html.utf8).write(to: url, options: .atomic) }
                Output.line(url.path)
            }
        }
    }

    private func write(_ body: () throws -> Void) throws {
        do { try body() } catch { throw CLIFailure.failed("cannot write the report: \(error.localizedDescription)") }
    }
}
