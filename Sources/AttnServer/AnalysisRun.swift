import Foundation
import JSONRPC
import RunStore

/// What an analysis computed: the method-specific result members, the small summary stored
/// for `runs/list`, and (for sweeps) the points stored in their own table.
struct AnalysisOutput {
    var result: [String: JSONValue]
    var summary: JSONValue
    var points: [StoredSweepPoint] = []
}

extension ModelSession {
    /// Runs one analysis as a stored run: answers from the cache when an identical completed
    /// run exists (and `cacheable`), else records the run as `running`, computes, and stores
    /// the result with the common fields `runId`, `numTokens`, `model`, `cached`, `history`.
    ///
    /// - Parameter canonical: the params with every default spelled out, without `text`,
    ///   `tokens`, `force`, `workDoneToken` (the input is identified by its token ids).
    /// - Important: called on the compute queue.
    func runAnalysis(method: String, canonical: [String: JSONValue], inputs: [ResolvedInput], model: LoadedModel,
                     cacheable: Bool, clientName: String?, compute: () throws -> AnalysisOutput) throws -> JSONValue {
        let request = try runRequest(method: method, canonical: canonical, inputs: inputs, model: model, clientName: clientName)
        var ticket = history.begin(request, cacheable: cacheable)
        if var cached = ticket.cached?.objectValue {
            cached["cached"] = true
            cached["history"] = ["stored": true]
            return .object(cached)
        }
        let output: AnalysisOutput
        do {
            output = try compute()
            try FiniteGuard.check(result: output.result)
        } catch {
            let error = FiniteGuard.translating(error)
            history.finish(ticket, error: error)
            throw error
        }
        var result = output.result
        result["runId"] = .string(ticket.runID)
        result["numTokens"] = .int(Int64(inputs.reduce(0) { $0 + $1.tokens.count }))
        result["model"] = .string(model.fingerprint)
        result["cached"] = false
        result["history"] = ticket.historyJSON
        // Attention tensors are never stored with the run.
        var stored = result
        stored["attention"] = nil
        stored["logits"] = nil
        ticket = history.complete(ticket, result: .object(stored), summary: output.summary, points: output.points)
        result["history"] = ticket.historyJSON
        return .object(result)
    }

    private func runRequest(method: String, canonical: [String: JSONValue], inputs: [ResolvedInput],
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
        // The store's canonical form (sorted keys, numbers by value) is the one cache key mechanism.
        let params = try CanonicalParams(JSONWriter.data(.object(canonical)))
        return RunRequest(method: method, model: modelRecord, input: input, params: params, clientName: clientName)
    }
}
