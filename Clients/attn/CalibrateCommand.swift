import ArgumentParser
import AttnProtocol
import JSONRPC

/// Which per-head number the density grid of `attn calibrate` shows.
enum CalibrationGrid: String, ExpressibleByArgument, CaseIterable {
    /// Kept tiles over causally visible tiles.
    case tileDensity
    /// What a kernel computes (a kept tile counted whole) over dense causal attention.
    case computedFraction

    init?(argument: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == argument.lowercased() }) else { return nil }
        self = match
    }
}

/// `attn calibrate`: per-head rule values to an accuracy budget (Protocol/README.md §10 `calibrate`).
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Choose each head's rule value to an accuracy budget; show the per-head table and its end-to-end check.",
        discussion: """
        Exactly one budget: --budget-output-kl (nats per position, measured end to end by real \
        pruned passes), --budget-attention-kl (nats, per head) or --min-recall (per head). A head \
        that would skip less than --dense-below-sparsity of its work stays dense. The calibration \
        inputs are the TEXT, --file or standard input; --split paragraphs (texts separated by blank \
        lines) or --split lines sends up to 64 texts. Prints the layers × heads grids of chosen rule \
        value and density (dense heads marked "dense"), the overall computed fraction and the check \
        on the calibration inputs (output KL, top-1 agreement, NLL and perplexity dense vs pruned). \
        The run id names the calibration: evaluate it on held-out texts with \
        `attn sweep --per-head RUN --end-to-end --file heldout.txt --split paragraphs`.
        """)

    @OptionGroup var daemon: DaemonOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var split: TextSplitOptions
    @OptionGroup var format: CSVOption
    @OptionGroup var tiles: TileOptions

    @Option(help: ArgumentHelp("Block selection rule: threshold, coverage or topK (window with --estimator streaming).", valueName: "rule"))
    var selection: Selection?

    @Option(parsing: .unconditional, help: ArgumentHelp("Keys per tile B, tokens (daemon default 32).", valueName: "tokens"))
    var blockSize: Int?

    @Flag(help: "Always keep block 0 (the attention sink).")
    var keepSink = false

    @Flag(help: "Always keep the block holding the query.")
    var keepLocal = false

    @Option(name: [.customLong("budget-output-kl"), .customLong("max-output-kl")], parsing: .unconditional,
            help: ArgumentHelp("Budget: the calibrated model's outputKL, nats per position (end to end).", valueName: "nats"))
    var budgetOutputKL: Double?

    @Option(name: [.customLong("budget-attention-kl"), .customLong("max-attention-kl")], parsing: .unconditional,
            help: ArgumentHelp("Budget per head: its attentionKL (mean −ln kept mass), nats.", valueName: "nats"))
    var budgetAttentionKL: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Budget per head: its recall (mean kept mass) at least this, in (0, 1].", valueName: "r"))
    var minRecall: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("A head that would skip less than this share of its work stays dense (daemon default 0.1).", valueName: "fraction"))
    var denseBelowSparsity: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Candidate rule values, comma-separated (daemon default: a ladder per rule).", valueName: "list"))
    var values: String?

    @Option(help: ArgumentHelp("The density grid: tileDensity (kept over visible tiles) or computedFraction (over dense causal attention).", valueName: "which"))
    var grid: CalibrationGrid = .tileDensity

    @Flag(help: "Recompute even when an identical calibration is in the history.")
    var force = false

    func validate() throws {
        try AnalysisRunner.checkFormats(daemon, format)
        try split.check(input)
        try tiles.check(selection: selection)
        let budgets = [budgetOutputKL != nil, budgetAttentionKL != nil, minRecall != nil].filter { $0 }.count
        if budgets != 1 {
            throw ValidationError("give exactly one budget: --budget-output-kl NATS, --budget-attention-kl NATS or --min-recall R")
        }
        if let values { _ = try ListParsing.numbers(values, option: "--values") }
    }

    /// The request's params apart from the input, as given.
    func ruleParams() throws -> [String: JSONValue] {
        var params = tiles.params()
        if let selection { params["selection"] = .string(selection.rawValue) }
        if let blockSize { params["blockSize"] = .int(Int64(blockSize)) }
        if keepSink { params["keepSink"] = true }
        if keepLocal { params["keepLocal"] = true }
        if let budgetOutputKL { params["maxOutputKL"] = .double(budgetOutputKL) }
        if let budgetAttentionKL { params["maxAttentionKL"] = .double(budgetAttentionKL) }
        if let minRecall { params["minRecall"] = .double(minRecall) }
        if let denseBelowSparsity { params["denseBelowSparsity"] = .double(denseBelowSparsity) }
        if let values { params["values"] = .array(try ListParsing.numbers(values, option: "--values").map(ListParsing.json)) }
        if force { params["force"] = true }
        return params
    }

    func run() throws {
        let params = try split.params(input).merging(try ruleParams())
        let csv: ((DaemonSession, CalibrateResponse) -> String)? = !format.csv ? nil : { _, result in CSV.calibration(result) }
        try AnalysisRunner.run(daemon, method: "calibrate", params: params, as: CalibrateResponse.self, truncate: input.truncate,
                               csv: csv) { _, result in
            CalibrateRenderer.render(result, grid: grid, terminal: .current())
        }
    }
}
