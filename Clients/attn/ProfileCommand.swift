import ArgumentParser
import Foundation
import AttnProtocol
import JSONRPC

/// `attn profile`: `profileAttention` per head, optionally one head's block mask.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Profile the attention of every head: sparsity, entropy, sink and local mass, block sparsity, head roles.",
        discussion: """
        --show-mask LAYER,HEAD asks the daemon for the attention (includeAttention, refused for \
        long inputs) and draws that head's block mask for --block-size and --mask-threshold as the \
        daemon's threshold rule decides it (blockMasks): a visible block is pruned when its largest \
        weight is below τ, and a row that would lose every visible block stays dense.
        """)

    @OptionGroup var daemon: DaemonOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var format: CSVOption

    @Option(parsing: .unconditional, help: ArgumentHelp("Block size in tokens (daemon default 4).", valueName: "tokens"))
    var blockSize: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Block-max thresholds, comma-separated, each in (0, 1] (daemon default 0.05,0.1,0.2,0.5).", valueName: "list"))
    var thresholds: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("An attention entry below this counts as sparse (daemon default 0.05).", valueName: "value"))
    var entryThreshold: Double?

    @Option(help: ArgumentHelp("Write the attention (L, H, T, T) as a float32 .npy file at this path.", valueName: "path"))
    var export: String?

    @Flag(help: "Let --export replace an existing file.")
    var overwrite = false

    @Flag(help: "Include the attention [L][H][T][T] in the result (with --json).")
    var includeAttention = false

    @Option(help: ArgumentHelp("Draw the block mask of this layer and head, e.g. 1,3.", valueName: "layer,head"))
    var showMask: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Threshold τ of --show-mask (default: the first of --thresholds, else 0.05).", valueName: "value"))
    var maskThreshold: Double?

    @Option(help: ArgumentHelp("localScore's window: the query and the tokens before it (daemon default 4).", valueName: "tokens"))
    var localWindow: Int?

    @Option(help: ArgumentHelp("Seed of the induction test's repeated random sequence (daemon default 0).", valueName: "seed"))
    var inductionSeed: Int?

    @Option(help: ArgumentHelp("Random tokens per copy in the induction test (daemon default 50; 2n + 1 must fit the model).", valueName: "n"))
    var inductionLength: Int?

    @Option(help: ArgumentHelp("Sink of the streaming-head test (daemon default 4).", valueName: "tokens"))
    var streamingSink: Int?

    @Option(help: ArgumentHelp("Local window of the streaming-head test (daemon default 64).", valueName: "tokens"))
    var streamingWindow: Int?

    @Option(help: ArgumentHelp("Mass sink + window must keep for a streaming head, in (0, 1] (daemon default 0.9).", valueName: "mass"))
    var streamingMinMass: Double?

    @Option(help: ArgumentHelp("Score a named head role needs, in (0, 1] (daemon default 0.4).", valueName: "score"))
    var roleThreshold: Double?

    @Flag(help: "Recompute even when an identical run is in the history.")
    var force = false

    func validate() throws {
        try AnalysisRunner.checkFormats(daemon, format)
        if overwrite && export == nil { throw ValidationError("--overwrite applies to --export; give --export PATH or leave it out") }
        if maskThreshold != nil && showMask == nil { throw ValidationError("--mask-threshold applies to --show-mask; give --show-mask LAYER,HEAD") }
        if includeAttention && !daemon.json { throw ValidationError("--include-attention only shows with --json (for a picture use --show-mask)") }
        if let thresholds { _ = try ListParsing.numbers(thresholds, option: "--thresholds") }
        if let showMask {
            let parts = try ListParsing.integers(showMask, option: "--show-mask")
            guard parts.count == 2, parts.allSatisfy({ $0 >= 0 }) else {
                throw ValidationError("--show-mask: expected LAYER,HEAD as two integers ≥ 0, e.g. 1,3 (got \(showMask))")
            }
        }
    }

    func run() throws {
        var params = try input.resolve().params
        if let blockSize { params["blockSize"] = .int(Int64(blockSize)) }
        var thresholdList = try thresholds.map { try ListParsing.numbers($0, option: "--thresholds") }
        let mask = try showMask.map { try ListParsing.integers($0, option: "--show-mask") }
        // The daemon sends one block mask per threshold: --mask-threshold must be one of them.
        let sent = thresholdList ?? ProfileAttentionParams.defaultThresholds
        let tau = maskThreshold ?? sent.first ?? 0.05
        if mask != nil, !sent.contains(tau) { thresholdList = sent + [tau] }
        if let thresholdList { params["thresholds"] = .array(thresholdList.map(JSONValue.double)) }
        if let entryThreshold { params["entryThreshold"] = .double(entryThreshold) }
        if let export {
            params["exportPath"] = .string(URL(fileURLWithPath: export).standardizedFileURL.path)
            if overwrite { params["overwrite"] = true }
        }
        if includeAttention || mask != nil { params["includeAttention"] = true }
        let integers: [(String, Int?)] = [("localWindow", localWindow), ("inductionSeed", inductionSeed), ("inductionLength", inductionLength),
                                          ("streamingSinkTokens", streamingSink), ("streamingWindow", streamingWindow)]
        for case let (field, value?) in integers { params[field] = .int(Int64(value)) }
        if let streamingMinMass { params["streamingMinMass"] = .double(streamingMinMass) }
        if let roleThreshold { params["roleThreshold"] = .double(roleThreshold) }
        if force { params["force"] = true }
        let csv: ((DaemonSession, ProfileAttentionResponse) -> String)? = format.csv ? { CSV.profile($1) } : nil
        try AnalysisRunner.run(daemon, method: "profileAttention", params: params, as: ProfileAttentionResponse.self, truncate: input.truncate, csv: csv) { _, response in
            let terminal = Terminal.current()
            var text = ProfileRenderer.render(response, terminal: terminal)
            if let mask {
                guard let picture = ProfileRenderer.mask(response.body, layer: mask[0], head: mask[1],
                                                         blockSize: blockSize ?? ProfileAttentionParams.defaultBlockSize,
                                                         threshold: tau, terminal: terminal) else {
                    throw CLIFailure.failed("--show-mask \(mask[0]),\(mask[1]): the result has no block mask for that layer and head")
                }
                text += "\n\n" + picture
            }
            return text
        }
    }
}
