import ArgumentParser
import AttnProtocol
import JSONRPC

/// `attn kl`: `perPositionKL` as a layers × positions heatmap.
struct KLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kl",
        abstract: "Per-position divergence of one pruning point, as a layers × positions heatmap.")

    @OptionGroup var daemon: DaemonOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var policy: KeepPolicyOptions
    @OptionGroup var format: CSVOption
    @OptionGroup var tiles: TileOptions
    @OptionGroup var perHead: PerHeadOption

    @Option(help: ArgumentHelp("Block selection rule: threshold, relativeThreshold, coverage or topK (window with --estimator streaming).", valueName: "rule"))
    var selection: Selection?

    @Option(parsing: .unconditional, help: ArgumentHelp("The rule's value: τ in (0, 1], c in (0, 1024] for relativeThreshold (cut c/(visible keys)), a coverage level, k, or a window in tokens (daemon default by rule: 0.002 for threshold).", valueName: "value"))
    var threshold: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Block size in tokens (daemon default 32).", valueName: "tokens"))
    var blockSize: Int?

    @Option(help: ArgumentHelp("What to show per position: attentionKL, seedKL or prunedMass.", valueName: "metric"))
    var metric: PositionMetric?

    @Option(parsing: .unconditional, help: ArgumentHelp("Also average the values over segments of this many positions.", valueName: "tokens"))
    var segmentSize: Int?

    func validate() throws {
        try AnalysisRunner.checkFormats(daemon, format)
        try tiles.check(selection: selection)
        if perHead.perHead != nil {
            try PerHeadOption.refuse([("--selection", selection != nil), ("--threshold", threshold != nil), ("--block-size", blockSize != nil),
                                      ("--query-block-size", tiles.queryBlockSize != nil), ("--estimator", tiles.estimator != nil),
                                      ("--keep-sink", policy.keepSink), ("--keep-local", policy.keepLocal)])
        }
    }

    func run() throws {
        let resolved = try input.resolve()
        var params = resolved.params.merging(policy.params()).merging(tiles.params())
        if let selection { params["selection"] = .string(selection.rawValue) }
        if let threshold { params["threshold"] = ListParsing.json(threshold) }
        if let blockSize { params["blockSize"] = .int(Int64(blockSize)) }
        if let metric { params["metric"] = .string(metric.rawValue) }
        if let segmentSize { params["segmentSize"] = .int(Int64(segmentSize)) }
        let csv: ((DaemonSession, PerPositionKLResponse) -> String)? = !format.csv ? nil : { session, result in
            CSV.perPosition(result, pieces: AnalysisRunner.tokenized(session, input: resolved).pieces)
        }
        let prepare: ((DaemonSession, [String: JSONValue]) throws -> [String: JSONValue])? = perHead.perHead == nil ? nil : { session, params in
            params.merging(["perHead": try perHead.resolve(session: session)?.param ?? .null])
        }
        try AnalysisRunner.run(daemon, method: "perPositionKL", params: params, as: PerPositionKLResponse.self, truncate: input.truncate,
                               prepare: prepare, csv: csv) { session, result in
            KLRenderer.render(result, pieces: AnalysisRunner.tokenized(session, input: resolved).pieces, terminal: .current())
        }
    }
}
