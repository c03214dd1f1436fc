import ArgumentParser
import AttnProtocol
import Foundation
import JSONRPC

/// `attn sweep`: `pruneSweep` as a table of block sizes × rule values.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Prune blocks at several thresholds and block sizes; show the divergence each costs.",
        discussion: """
        Cells read "attentionKL (prunedBlockFraction)": the exact KL of the pruned attention in \
        nats and the share of causally visible blocks pruned. A second table shows the notebook's \
        seedKL and seedPrunedFraction for comparison; --end-to-end adds outputKL, top-1 agreement \
        and NLL of the model run with the rule applied inside every layer. With --query-block-size \
        or --estimator the points are tiles (Bq queries × B keys) and a tile table shows tileDensity, \
        computedFraction and recall beside the divergence; --export-mask DIR writes each point's \
        kept tiles in FlexAttention BlockMask layout (.npy) into the new folder DIR. --split \
        paragraphs|lines sends the input as several texts (tables show means over texts). \
        --per-head RUN applies a calibration (attn calibrate) instead of one rule: with \
        --end-to-end and several texts it is the held-out check, each metric with its 95% interval \
        across texts beside the calibration's own numbers.
        """)

    @OptionGroup var daemon: DaemonOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var policy: KeepPolicyOptions
    @OptionGroup var format: CSVOption
    @OptionGroup var tiles: TileOptions
    @OptionGroup var split: TextSplitOptions
    @OptionGroup var perHead: PerHeadOption

    @Option(help: ArgumentHelp("Block selection rule: threshold, relativeThreshold, coverage or topK (window with --estimator streaming).", valueName: "rule"))
    var selection: Selection?

    @Option(help: ArgumentHelp("Write each point's kept tiles (FlexAttention BlockMask layout, .npy) into this new folder.", valueName: "dir"))
    var exportMask: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("The rule's values, comma-separated: thresholds τ in (0, 1], multiples c in (0, 1024] of 1/(visible keys) for relativeThreshold, coverage levels, or k for topK (daemon defaults per rule).", valueName: "list"))
    var thresholds: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Block sizes in tokens, comma-separated (daemon default 16,32).", valueName: "list"))
    var blockSizes: String?

    @Flag(help: "Also run the pruned forward pass per point (outputKL, top-1 agreement, NLL).")
    var endToEnd = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Budget in nats: recommend the sparsest point with attentionKL at most this.", valueName: "nats"))
    var maxAttentionKL: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Budget in nats: recommend the sparsest point with outputKL at most this (needs --end-to-end).", valueName: "nats"))
    var maxOutputKL: Double?

    func validate() throws {
        try AnalysisRunner.checkFormats(daemon, format)
        if let thresholds { _ = try ListParsing.numbers(thresholds, option: "--thresholds") }
        if let blockSizes { _ = try ListParsing.integers(blockSizes, option: "--block-sizes") }
        try tiles.check(selection: selection)
        try split.check(input)
        if perHead.perHead != nil {
            try PerHeadOption.refuse([("--selection", selection != nil), ("--thresholds", thresholds != nil),
                                      ("--block-sizes", blockSizes != nil), ("--query-block-size", tiles.queryBlockSize != nil),
                                      ("--estimator", tiles.estimator != nil), ("--keep-sink", policy.keepSink),
                                      ("--keep-local", policy.keepLocal), ("--max-attention-kl", maxAttentionKL != nil),
                                      ("--max-output-kl", maxOutputKL != nil), ("--export-mask", exportMask != nil)])
        }
        if exportMask != nil && tiles.perRow {
            throw ValidationError("--export-mask writes tile masks; give --query-block-size N > 1 or an --estimator other than oracle")
        }
    }

    /// The tile params, as given.
    func tileParams() -> [String: JSONValue] {
        var params = tiles.params()
        if let exportMask {
            params["exportMask"] = true
            params["exportPath"] = .string(URL(fileURLWithPath: exportMask).standardizedFileURL.path)
        }
        return params
    }

    func run() throws {
        var params = try split.params(input).merging(policy.params()).merging(tileParams())
        if let selection { params["selection"] = .string(selection.rawValue) }
        if let thresholds { params["thresholds"] = .array(try ListParsing.numbers(thresholds, option: "--thresholds").map(ListParsing.json)) }
        if let blockSizes { params["blockSizes"] = .array(try ListParsing.integers(blockSizes, option: "--block-sizes").map { .int(Int64($0)) }) }
        if endToEnd { params["endToEnd"] = true }
        if let maxAttentionKL { params["maxAttentionKL"] = .double(maxAttentionKL) }
        if let maxOutputKL { params["maxOutputKL"] = .double(maxOutputKL) }
        let csv: ((DaemonSession, PruneSweepResponse) -> String)? = !format.csv ? nil : { session, result in
            CSV.sweep(result, fallback: SweepRenderer.fallback(result, model: AnalysisRunner.modelShape(session, fingerprint: result.fields.model)))
        }
        var calibration: PerHeadOption.Resolved?
        let prepare: ((DaemonSession, [String: JSONValue]) throws -> [String: JSONValue])? = perHead.perHead == nil ? nil : { session, params in
            calibration = try perHead.resolve(session: session)
            return params.merging(["perHead": calibration?.param ?? .null])
        }
        try AnalysisRunner.run(daemon, method: "pruneSweep", params: params, as: PruneSweepResponse.self, truncate: input.truncate,
                               prepare: prepare, csv: csv) { session, result in
            if let calibration { return PerHeadSweepRenderer.render(result, calibration: calibration, terminal: .current()) }
            return SweepRenderer.render(result, model: AnalysisRunner.modelShape(session, fingerprint: result.fields.model), terminal: .current(),
                                 tiles: SweepRenderer.TileLabel(queryBlockSize: tiles.queryBlockSize ?? 1, estimator: tiles.estimator ?? .oracle))
        }
    }
}
