import AttnProtocol
import Foundation
import JSONRPC
import RunStore

/// What an analysis computed: the method's own result members, the digest stored for
/// `runs/list`, and (for sweeps) the points stored in their own table.
struct AnalysisOutput<Body: Codable & Sendable> {
    var body: Body
    var digest: any Encodable
    var points: [SweepPointRow] = []
}

/// Members of a result that are never stored with the run (the tensors, and where this
/// request's mask export went: a cache hit must not claim another request's files).
private let unstoredMembers = ["attention", "logits", "exportedMask"]

extension ModelSession {
    /// Runs one analysis as a stored run: answers from the cache when an identical completed
    /// run exists (and `cacheable`), else records the run as `running`, computes, and stores
    /// the result's canonical encoding with the fields `runId`, `numTokens`, `model`, `cached`,
    /// `history`.
    ///
    /// The result is encoded once (phase `encode`): that one `JSONValue` is checked for
    /// non-finite numbers (`resultCheck`), stored without `unstoredMembers` (`historyWrite`) and
    /// returned as the wire result, which the registry sends without encoding it again.
    ///
    /// - Parameter params: the decoded params; their `canonical` form keys the cache.
    /// - Returns: the encoded `AnalysisResult<Body>`.
    /// - Important: called on the compute queue.
    func runAnalysis<Body>(method: String, params: some MethodParams, inputs: [ResolvedInput], model: LoadedModel,
                           cacheable: Bool, context: RequestContext,
                           compute: () throws -> AnalysisOutput<Body>) throws -> EncodedResult {
        try runAnalysis(method: method, params: params, inputs: inputs, model: model, cacheable: cacheable,
                        context: context, computeInRun: { _ in try compute() })
    }

    /// `runAnalysis` whose work sees its run (`ticket.runID`, `ticket.failure`): for work that
    /// writes parts of its result to the history as it goes (`evaluateCorpus`'s windows).
    func runAnalysis<Body>(method: String, params: some MethodParams, inputs: [ResolvedInput], model: LoadedModel,
                           cacheable: Bool, context: RequestContext,
                           computeInRun: (RunHistory.Ticket) throws -> AnalysisOutput<Body>) throws -> EncodedResult {
        let request = try runRequest(method: method, params: params, inputs: inputs, model: model, clientName: context.clientName)
        var ticket = context.timed("historyLookup") { history.begin(request, cacheable: cacheable) }
        if let stored = ticket.cached, var cached = try? stored.decode(AnalysisResult<Body>.self) {
            cached.fields.cached = true
            cached.fields.history = History(stored: true)
            return try context.timed("encode") { try EncodedResult(encoding: cached) }
        }
        let fields = AnalysisFields(runId: ticket.runID, numTokens: inputs.reduce(0) { $0 + $1.tokens.count },
                                    model: model.fingerprint, cached: false, history: ticket.history)
        let output: AnalysisOutput<Body>
        var members: [String: JSONValue]
        do {
            output = try computeInRun(ticket)
            // The JSON encoder refuses a non-finite number (translated below); the check names the first
            // that got through otherwise (`-32009`).
            members = try context.timed("encode") {
                try JSONValue(encoding: AnalysisResult(body: output.body, fields: fields)).objectValue ?? [:]
            }
            try context.timed("resultCheck") { try FiniteGuard.check(result: members) }
        } catch {
            let error = FiniteGuard.translating(error)
            history.finish(ticket, error: error)
            throw error
        }
        try context.timed("historyWrite") {
            var stored = members
            for member in unstoredMembers { stored[member] = nil }
            let before = ticket.history
            ticket = history.complete(ticket, result: .object(stored), digest: try JSONValue(encoding: output.digest),
                                      points: output.points)
            if ticket.history != before { members["history"] = try JSONValue(encoding: ticket.history) }
        }
        return EncodedResult(json: .object(members))
    }

    /// The run's identity: model, input (token ids) and the canonical params.
    func runRequest(method: String, params: some MethodParams, inputs: [ResolvedInput],
                    model: LoadedModel, clientName: String?) throws -> RunRequest {
        let modelRecord = ModelRecord(fingerprint: model.fingerprint, name: model.name, path: model.path,
                                      configJSON: model.configJSON)
        let input: InputRecord
        if inputs.count == 1 {
            input = InputRecord(tokens: inputs[0].tokens, text: inputs[0].text)
        } else {
            // Several texts: one input row for the whole list (ids joined by -1, never a token id).
            input = InputRecord(tokens: Array(inputs.map(\.tokens).joined(separator: [-1])), text: nil)
        }
        return RunRequest(method: method, model: modelRecord, input: input,
                          params: try canonicalParams(params), clientName: clientName)
    }
}

/// The store's canonical text (sorted keys, numbers by value) of `params.canonical`: derived
/// from the params type, so every field it has is in the cache key.
func canonicalParams(_ params: some MethodParams) throws -> CanonicalParams {
    try CanonicalParams(JSONWriter.data(params.canonical), excluding: CanonicalForm.nonSemanticFields)
}
