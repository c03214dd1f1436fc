import ArgumentParser
import AttnProtocol
import Foundation
import JSONRPC

/// `attn report`: a self-contained HTML report (or one SVG per figure) of stored runs,
/// rendered by the daemon (`runs/report`).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an offline HTML report (or SVG figures) of runs; the newest completed run by default.",
        discussion: """
        The HTML file has inline SVG and CSS only: it opens offline and can be shared as is.
        With --format svg, each figure is written as its own SVG file into the --output folder.
        """)

    @OptionGroup var daemon: DaemonOptions

    @Argument(help: "Run ids to report on (several are overlaid). Default: the newest completed run.")
    var ids: [String] = []

    @Option(name: [.short, .customLong("output")],
            help: ArgumentHelp("Where to write: the HTML file, or the folder for --format svg.", valueName: "path"))
    var output: String?

    @Option(help: ArgumentHelp("html (one file) or svg (one file per figure).", valueName: "format"))
    var format: String = "html"

    @Option(help: ArgumentHelp("Title of the report.", valueName: "text"))
    var title: String?

    func validate() throws {
        guard ["html", "svg"].contains(format) else { throw ValidationError("--format must be html or svg (got \(format))") }
    }

    func run() throws {
        try DaemonSession.with(daemon) { session in
            var runIDs = ids
            if runIDs.isEmpty {
                let newest = try session.call("runs/list", params: ["status": "completed", "limit": 1])
                    .decoded(RunsListResult.self, method: "runs/list")
                guard let id = newest.runs.first?.id else {
                    throw CLIFailure.usage("no completed run in the history yet: run `attn sweep …` first, or name run ids")
                }
                runIDs = [id]
            }
            var params: [String: JSONValue] = ["ids": .array(runIDs.map { .string($0) }), "format": .string(format)]
            if let title { params["title"] = .string(title) }
            let result = try session.call("runs/report", params: params).decoded(RunsReportResult.self, method: "runs/report")
            if format == "svg" {
                let folder = URL(fileURLWithPath: output ?? "report-figures")
                try write { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
                for figure in result.figures ?? [] {
                    let url = folder.appendingPathComponent(figure.name)
                    try write { try Data(figure.svg.utf8).write(to: url, options: .atomic) }
                    Output.line(url.path)
                }
            } else {
                guard let html = result.html else { throw CLIFailure.failed("the daemon returned no html") }
                let url = URL(fileURLWithPath: output ?? "report.html")
                try write { try Data(html.utf8).write(to: url, options: .atomic) }
                Output.line(url.path)
            }
        }
    }

    private func write(_ body: () throws -> Void) throws {
        do { try body() } catch { throw CLIFailure.failed("cannot write the report: \(error.localizedDescription)") }
    }
}
