import ArgumentParser
import AttnProtocol
import JSONRPC

/// `attn forward`: next-token predictions and NLL.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Next-token predictions after every position, with the text's NLL and perplexity.")

    @OptionGroup var daemon: DaemonOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var format: CSVOption

    func validate() throws {
        try AnalysisRunner.checkFormats(daemon, format)
        if includeLogits && !daemon.json { throw ValidationError("--include-logits only shows with --json") }
    }

    @Option(parsing: .unconditional, help: ArgumentHelp("Candidates shown per position, 0…100 (daemon default 5).", valueName: "k"))
    var topK: Int?

    @Flag(help: "Include the raw logits [T][V] in the result (with --json).")
    var includeLogits = false

    @Flag(help: "Recompute even when an identical run is in the history.")
    var force = false

    func run() throws {
        let resolved = try input.resolve()
        var params = resolved.params
        if let topK { params["topK"] = .int(Int64(topK)) }
        if includeLogits { params["includeLogits"] = true }
        if force { params["force"] = true }
        let csv: ((DaemonSession, ForwardResponse) -> String)? = !format.csv ? nil : { session, result in
            CSV.forward(result, pieces: AnalysisRunner.tokenized(session, input: resolved).pieces)
        }
        try AnalysisRunner.run(daemon, method: "forward", params: params, as: ForwardResponse.self, truncate: input.truncate, csv: csv) { session, result in
            let (tokens, pieces) = AnalysisRunner.tokenized(session, input: resolved)
            return SmallRenderers.forward(result, tokens: tokens, pieces: pieces, terminal: .current())
        }
    }
}

/// `attn tokenize`: ids, pieces and byte offsets of a text.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Split a text into the model's tokens: ids, pieces and UTF-8 byte offsets.")

    @OptionGroup var daemon: DaemonOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var format: CSVOption

    func validate() throws {
        try AnalysisRunner.checkFormats(daemon, format)
        if input.tokens != nil { throw ValidationError("tokenize takes text (TEXT, --file or stdin), not --tokens") }
        if input.truncate { throw ValidationError("--truncate cuts an analysis input; tokenize splits the whole text") }
    }

    func run() throws {
        guard case .text(let text) = try input.resolve() else { return }
        try DaemonSession.with(daemon) { session in
            let result = try session.call("tokenize", params: ["text": .string(text)])
            if daemon.json { return Output.line(JSONWriter.string(result)) }
            let tokens = try result.decoded(TokenizeResult.self, method: "tokenize")
            Output.line(format.csv ? CSV.tokenize(tokens) : SmallRenderers.tokenize(tokens, terminal: .current()))
        }
    }
}
