import Foundation
import JSONRPC

/// `forward`: next-token predictions and the input's own next-token NLL.
struct ForwardParams {
    var input: InputSpec
    /// Predictions per position, 0…100.
    var topK: Int
    var includeLogits: Bool
    var force: Bool

    static let maxLogitEntries = ServerConfiguration.maxInlineEntries

    init(_ r: ParamReader) throws {
        input = try InputSpec.read(r, allowTexts: false)
        topK = try r.int("topK", default: 5, range: 0...100)
        includeLogits = try r.bool("includeLogits", default: false)
        force = try r.bool("force", default: false)
    }

    var canonical: [String: JSONValue] { ["topK": .int(Int64(topK)), "includeLogits": .bool(includeLogits)] }
}

/// Log-probabilities of one logits row, in Float64: `z - logsumexp(z)`.
func logSoftmax(_ row: UnsafeBufferPointer<Float>) -> [Double] {
    var m = -Double.infinity
    for v in row { m = max(m, Double(v)) }
    var s = 0.0
    for v in row { s += exp(Double(v) - m) }
    let lse = m + log(s)
    return row.map { Double($0) - lse }
}

extension ModelSession {
    func registerForward(into registry: MethodRegistry) {
        registry.register("forward", kind: .compute, parse: { try ForwardParams($0) }, handle: { p, context in
            let model = try self.requireModel()
            let inputs = try p.input.resolve(with: model)
            let tokens = inputs[0].tokens
            let T = tokens.count, V = model.config.vocabSize
            if p.includeLogits && T * V > ForwardParams.maxLogitEntries {
                throw RPCError.invalidParams(field: "includeLogits", value: true,
                                             accepted: "false when T·V > \(ForwardParams.maxLogitEntries) (here \(T)·\(V) = \(T * V))")
            }
            return try self.runAnalysis(method: "forward", canonical: p.canonical, inputs: inputs, model: model,
                                        cacheable: !p.force && !p.includeLogits, clientName: context.clientName) {
                let span = ProgressSpan(context: context, from: 0, to: 90)
                guard let logits = try self.densePass(model: model, tokens: tokens, needLogits: true, context: context,
                                                      progress: span, consume: { _, _ in }) else {
                    throw RPCError(.internalError, "the forward pass returned no logits")
                }
                var argmax: [JSONValue] = [], top: [JSONValue] = []
                var nllSum = 0.0
                try logits.withUnsafeBufferPointer { all in
                    for t in 0..<T {
                        if t % 64 == 0 { try context.checkCancelled() }
                        let row = UnsafeBufferPointer(rebasing: all[(t * V)..<((t + 1) * V)])
                        let lp = logSoftmax(row)
                        var best = 0
                        for i in 1..<V where lp[i] > lp[best] { best = i }
                        argmax.append(.int(Int64(best)))
                        let order = p.topK == 0 ? [] : topIndices(lp, k: p.topK)
                        top.append(.array(order.map { i in
                            ["token": .int(Int64(i)), "piece": .string(model.tokenizer.piece(i) ?? ""), "logprob": .double(lp[i])]
                        }))
                        if t + 1 < T { nllSum -= lp[tokens[t + 1]] }
                    }
                }
                let nll: JSONValue = T > 1 ? .double(nllSum / Double(T - 1)) : .null
                let ppl: JSONValue = T > 1 ? .double(exp(nllSum / Double(T - 1))) : .null
                var result: [String: JSONValue] = ["argmax": .array(argmax), "top": .array(top), "nll": nll, "perplexity": ppl]
                if p.includeLogits {
                    result["logits"] = .array((0..<T).map { t in .array((0..<V).map { .double(Double(logits[t * V + $0])) }) })
                }
                return AnalysisOutput(result: result, summary: ["nll": nll])
            }
        })
    }
}

/// Indices of the `k` largest values, largest first (ties: lower index first).
func topIndices(_ values: [Double], k: Int) -> [Int] {
    var best: [Int] = []
    best.reserveCapacity(k + 1)
    for i in values.indices {
        if best.count == k, let last = best.last, values[i] <= values[last] { continue }
        var pos = best.count
        while pos > 0 && values[best[pos - 1]] < values[i] { pos -= 1 }
        best.insert(i, at: pos)
        if best.count > k { best.removeLast() }
    }
    return best
}
