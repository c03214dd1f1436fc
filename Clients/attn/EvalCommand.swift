import ArgumentParser
import AttnProtocol
import Foundation
import JSONRPC

/// `attn eval`: `evaluateCorpus`, sliding-window perplexity of a corpus, dense and per setting.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Sliding-window perplexity of a corpus (HuggingFace's recipe), dense and per pruning setting.",
        discussion: """
            Each --setting is comma-separated key=value pairs: the rule and its value (threshold=τ, \
            relativeThreshold=c, coverage=τ or topK=k), block=B (default 32), and sink / local to keep block 0 / the \
            query's block; or per-head=RUN, a calibration (attn calibrate) by its full run id. Example: attn eval --file corpus.txt --stride 512 --setting threshold=0.002,block=32 \
            --setting topK=4,block=64,sink. A cancelled or crashed evaluation continues from its \
            first missing window when run again.
            """)

    @OptionGroup var daemon: DaemonOptions

    @Argument(help: "The corpus text (else --file).")
    var text: String?

    @Option(help: ArgumentHelp("Read the corpus from this UTF-8 file (sent as text).", valueName: "path"))
    var file: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Tokens per window (daemon default: the model's context).", valueName: "tokens"))
    var maxLength: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Tokens the window moves by (daemon default: max-length / 2).", valueName: "tokens"))
    var stride: Int?

    @Option(name: .customLong("setting"), parsing: .singleValue,
            help: ArgumentHelp("A pruning setting to evaluate beside dense (repeatable): threshold=0.002,block=32[,sink][,local].", valueName: "spec"))
    var settings: [String] = []

    @Flag(help: "Also print each window's values.")
    var perWindow = false

    @Flag(help: "Recompute every window even when the history holds them.")
    var force = false

    func validate() throws {
        if text != nil && file != nil { throw ValidationError("give at most one of TEXT and --file") }
        for spec in settings { _ = try SettingSpec.parse(spec) }
    }

    func run() throws {
        let corpus: String
        if let text { corpus = text } else if let file {
            corpus = try Input.decode(try Input.read(file: file), encoding: .utf8, source: "--file \(file)")
        } else {
            if Terminal.stdinIsTerminal { Output.note("attn: reading the corpus from standard input; end it with Ctrl-D") }
            corpus = try Input.decode(FileHandle.standardInput.readDataToEndOfFile(), encoding: .utf8, source: "standard input")
        }
        var params: [String: JSONValue] = ["text": .string(corpus)]
        if let maxLength { params["maxLength"] = .int(Int64(maxLength)) }
        if let stride { params["stride"] = .int(Int64(stride)) }
        if !settings.isEmpty { params["settings"] = .array(try settings.map { try SettingSpec.parse($0) }) }
        if perWindow { params["perWindow"] = true }
        if force { params["force"] = true }
        try AnalysisRunner.run(daemon, method: "evaluateCorpus", params: params, as: AnalysisResult<EvaluateCorpusResult>.self) { _, result in
            CorpusRenderer.render(result, terminal: .current())
        }
    }
}

/// `--setting threshold=0.002,block=32,sink` as an `evaluateCorpus.settings[i]` object.
enum SettingSpec {
    static func parse(_ spec: String) throws -> JSONValue {
        var members: [String: JSONValue] = [:]
        for part in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            let key = pair[0], value = pair.count > 1 ? pair[1] : nil
            func number() throws -> Double {
                guard let value, let v = Double(value), v.isFinite else {
                    throw ValidationError("--setting \(spec): \(key) needs a number, e.g. \(key)=0.002")
                }
                return v
            }
            switch key {
            case "threshold", "coverage", "topK", "topk", "relativeThreshold", "relativethreshold":
                guard members["selection"] == nil else {
                    throw ValidationError("--setting \(spec): give one rule (threshold, relativeThreshold, coverage or topK)")
                }
                members["selection"] = .string(key == "topk" ? "topK" : key == "relativethreshold" ? "relativeThreshold" : key)
                members["threshold"] = ListParsing.json(try number())
            case "block", "blockSize":
                let b = try number()
                guard b >= 1, b.rounded() == b else { throw ValidationError("--setting \(spec): block must be a whole number of tokens ≥ 1") }
                members["blockSize"] = .int(Int64(b))
            case "per-head", "perHead":
                guard let value, !value.isEmpty else {
                    throw ValidationError("--setting \(spec): per-head needs a calibrate run id, e.g. per-head=6f1d2c3b-…")
                }
                members["perHead"] = ["calibrationRunId": .string(value)]
            case "sink", "keepSink": members["keepSink"] = true
            case "local", "keepLocal": members["keepLocal"] = true
            default:
                throw ValidationError("--setting \(spec): unknown key \(key); accepted: threshold=, relativeThreshold=, coverage=, topK=, block=, sink, local, per-head=RUN")
            }
        }
        if members["perHead"] != nil {
            guard members.count == 1 else {
                throw ValidationError("--setting \(spec): per-head=RUN stands alone (the calibration fixes the rule, tiles and keep policy)")
            }
            return .object(members)
        }
        guard members["selection"] != nil else {
            throw ValidationError("--setting \(spec): name the rule and its value, e.g. threshold=0.002,block=32, or per-head=RUN")
        }
        return .object(members)
    }
}
