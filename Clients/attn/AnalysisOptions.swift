import ArgumentParser
import AttnProtocol
import Foundation
import JSONRPC

/// `--selection topk` and `--metric attentionkl` as well as the protocol's spelling.
extension Selection: ExpressibleByArgument {
    public init?(argument: String) {
        guard let match = Selection.allCases.first(where: { $0.rawValue.lowercased() == argument.lowercased() }) else { return nil }
        self = match
    }
}

/// `--estimator meanpool` as well as `meanPool`.
extension Estimator: ExpressibleByArgument {
    public init?(argument: String) {
        guard let match = Estimator.allCases.first(where: { $0.rawValue.lowercased() == argument.lowercased() }) else { return nil }
        self = match
    }
}

extension PositionMetric: ExpressibleByArgument {
    public init?(argument: String) {
        guard let match = PositionMetric.allCases.first(where: { $0.rawValue.lowercased() == argument.lowercased() }) else { return nil }
        self = match
    }
}

/// Options of the selection rules shared by `sweep` and `kl`.
struct KeepPolicyOptions: ParsableArguments {
    @Flag(help: "Always keep block 0 (the attention sink).")
    var keepSink = false

    @Flag(help: "Always keep the block holding the query.")
    var keepLocal = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Clamp ε of the notebook's seedKL, in (0, 0.01] (daemon default 1e-12).", valueName: "eps"))
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

/// Runs an analysis request: prints the daemon's JSON as is with `--json`, else decodes the
/// result into its protocol type `Response` and prints the human rendering.
enum AnalysisRunner {
    /// - Parameter csv: the `--csv` rendering, when `--csv` is given.
    /// - Parameter truncate: `--truncate`: an input longer than the model's context is cut to
    ///   its first nPositions tokens (sent as `tokens`), with a note on stderr.
    /// - Parameter prepare: completes the params on the session before the request (e.g. a run
    ///   id prefix resolved against the history).
    static func run<Response: Decodable>(_ daemon: DaemonOptions, method: String, params: [String: JSONValue], as type: Response.Type,
                                         truncate: Bool = false,
                                         prepare: ((DaemonSession, [String: JSONValue]) throws -> [String: JSONValue])? = nil,
                                         csv: ((DaemonSession, Response) throws -> String)? = nil,
                                         render: (DaemonSession, Response) throws -> String) throws {
        try DaemonSession.with(daemon) { session in
            var params = truncate ? try truncated(params, session: session) : params
            if let prepare { params = try prepare(session, params) }
            let result = try session.call(method, params: params, reportsProgress: true)
            if daemon.json { return Output.line(JSONWriter.string(result)) }
            let decoded = try result.decoded(type, method: method)
            Output.line(try csv.map { try $0(session, decoded) } ?? render(session, decoded))
        }
    }

    /// `params` with its `text` or `tokens` cut to the loaded model's context.
    static func truncated(_ params: [String: JSONValue], session: DaemonSession) throws -> [String: JSONValue] {
        let context = try session.call("model/info").decoded(ModelInfo.self, method: "model/info").nPositions
        var ids = params["tokens"]?.arrayValue?.compactMap(\.intValue)
        if ids == nil, let text = params["text"]?.stringValue {
            ids = try session.call("tokenize", params: ["text": .string(text)]).decoded(TokenizeResult.self, method: "tokenize").tokens
        }
        guard let ids, ids.count > context else { return params }
        Output.note("attn: --truncate: kept the first \(context) of \(ids.count) tokens (the model's context)")
        var cut = params
        cut["text"] = nil
        cut["tokens"] = .array(ids.prefix(context).map { .int(Int64($0)) })
        return cut
    }

    /// Refuses `--json` with `--csv`.
    static func checkFormats(_ daemon: DaemonOptions, _ format: CSVOption) throws {
        if daemon.json && format.csv { throw ValidationError("give --json or --csv, not both") }
    }

    /// The loaded model's (nLayer, nHead) from `model/info`, when it is still the model with
    /// `fingerprint` (a listening daemon may have loaded another since); nil otherwise.
    static func modelShape(_ session: DaemonSession, fingerprint: String) -> (layers: Int, heads: Int)? {
        guard let info = try? session.call("model/info").decode(ModelInfo.self), info.fingerprint == fingerprint else { return nil }
        return (info.nLayer, info.nHead)
    }

    /// Token ids and pieces of the input (pieces only for text, from the cheap `tokenize`),
    /// for labelling positions; nil parts when unknown.
    static func tokenized(_ session: DaemonSession, input: Input) -> (tokens: [Int]?, pieces: [String]?) {
        switch input {
        case .tokens(let ids):
            return (ids, nil)
        case .text(let text):
            let result = try? session.call("tokenize", params: ["text": .string(text)]).decode(TokenizeResult.self)
            return (result?.tokens, result?.pieces)
        }
    }
}
