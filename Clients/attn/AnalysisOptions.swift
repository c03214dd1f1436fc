import ArgumentParser
import Foundation
import JSONRPC

/// A block-selection rule (`selection` in `pruneSweep` and `perPositionKL`).
enum SelectionRule: String, ExpressibleByArgument, CaseIterable {
    case threshold, coverage, topK
}

/// The per-position metric of `perPositionKL`.
enum PositionMetric: String, ExpressibleByArgument, CaseIterable {
    case attentionKL, seedKL, prunedMass
}

/// Options of the selection rules shared by `sweep` and `kl`.
struct KeepPolicyOptions: ParsableArguments {
    @Flag(help: "Always keep block 0 (the attention sink).")
    var keepSink = false

    @Flag(help: "Always keep the block holding the query.")
    var keepLocal = false

    @Option(help: ArgumentHelp("Clamp ε of the notebook's seedKL, in (0, 0.01] (daemon default 1e-12).", valueName: "eps"))
    var seedEpsilon: Double?

    @Flag(help: "Recompute even when an identical run is in the history.")
    var force = false

    func params() -> [String: JSONValue] {
        var params: [String: JSONValue] = [:]
        if keepSink { params["keepSink"] = true }
        if keepLocal { params["keepLocal"] = true }
        if let seedEpsilon { params["seedEpsilon"] = .double(seedEpsilon) }
        if force { params["force"] = true }
        return params
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// Adds the members of `other` (later wins).
    func merging(_ other: [String: JSONValue]) -> [String: JSONValue] {
        merging(other, uniquingKeysWith: { _, new in new })
    }
}

/// Runs an analysis request: prints JSON with `--json`, else the human rendering.
enum AnalysisRunner {
    static func run(_ daemon: DaemonOptions, method: String, params: [String: JSONValue],
                    render: (DaemonSession, JSONValue) throws -> String) throws {
        try DaemonSession.with(daemon) { session in
            let result = try session.call(method, params: params, reportsProgress: true)
            Output.line(daemon.json ? JSONWriter.string(result) : try render(session, result))
        }
    }

    /// Token ids and pieces of the input (pieces only for text, from the cheap `tokenize`),
    /// for labelling positions; nil parts when unknown.
    static func tokenized(_ session: DaemonSession, input: Input) -> (tokens: [Int]?, pieces: [String]?) {
        switch input {
        case .tokens(let ids):
            return (ids, nil)
        case .text(let text):
            let result = try? session.call("tokenize", params: ["text": .string(text)])
            return (result?["tokens"]?.list.compactMap(\.intValue), result?["pieces"]?.list.compactMap(\.stringValue))
        }
    }
}
