import ArgumentParser
import AttnProtocol
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
        and NLL of the model run with the rule applied inside every layer.
        """)

    @OptionGroup var daemon: DaemonOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var policy: KeepPolicyOptions
    @OptionGroup var format: CSVOption

    @Option(help: ArgumentHelp("Block selection rule: threshold, coverage or topK.", valueName: "rule"))
    var selection: Selection?

    @Option(parsing: .unconditional, help: ArgumentHelp("The rule's values, comma-separated: thresholds τ in (0, 1], coverage levels, or k for topK (daemon defaults per rule).", valueName: "list"))
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
    }

    func run() throws {
        var params = try input.resolve().params.merging(policy.params())
        if let selection { params["selection"] = .string(selection.rawValue) }
        if let thresholds { params["thresholds"] = .array(try ListParsing.numbers(thresholds, option: "--thresholds").map(ListParsing.json)) }
        if let blockSizes { params["blockSizes"] = .array(try ListParsing.integers(blockSizes, option: "--block-sizes").map { .int(Int64($0)) }) }
        if endToEnd { params["endToEnd"] = true }
        if let maxAttentionKL { params["maxAttentionKL"] = .double(maxAttentionKL) }
        if let maxOutputKL { params["maxOutputKL"] = .double(maxOutputKL) }
        let csv: ((DaemonSession, PruneSweepResponse) -> String)? = !format.csv ? nil : { session, result in
            CSV.sweep(result, fallback: SweepRenderer.fallback(result, model: AnalysisRunner.modelShape(session, fingerprint: result.fields.model)))
        }
        try AnalysisRunner.run(daemon, method: "pruneSweep", params: params, as: PruneSweepResponse.self, truncate: input.truncate, csv: csv) { session, result in
            SweepRenderer.render(result, model: AnalysisRunner.modelShape(session, fingerprint: result.fields.model), terminal: .current())
        }
    }
}
