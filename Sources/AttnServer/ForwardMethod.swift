import AttnProtocol
import Foundation
import JSONRPC

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
        registry.register("forward", kind: .compute, params: ForwardParams.self, handle: { p, context in
            let model = try self.requireModel()
            let inputs = try p.input.resolve(with: model)
            let tokens = inputs[0].tokens
            let T = tokens.count, V = model.config.vocabSize
            if p.includeLogits && T * V > ProtocolLimits.maxInlineEntries {
                throw RPCError.invalidParams(field: "includeLogits", value: true,
                                             accepted: "false when T·V > \(ProtocolLimits.maxInlineEntries) (here \(T)·\(V) = \(T * V))")
            }
            return try self.runAnalysis(method: "forward", params: p, inputs: inputs, model: model,
                                        cacheable: !p.force && !p.includeLogits, clientName: context.clientName) {
                let span = ProgressSpan(context: context, from: 0, to: 90)
                guard let logits = try self.densePass(model: model, tokens: tokens, needLogits: true, context: context,
                                                      progress: span, consume: { _, _ in }) else {
                    throw RPCError(.internalError, "the forward pass returned no logits")
                }
                var argmax: [Int] = [], top: [[TopToken]] = []
                var nllSum = 0.0
                try logits.withUnsafeBufferPointer { all in
                    for t in 0..<T {
                        if t % 64 == 0 { try context.checkCancelled() }
                        let row = UnsafeBufferPointer(rebasing: all[(t * V)..<((t + 1) * V)])
                        let lp = logSoftmax(row)
                        var best = 0
                        for i in 1..<V where lp[i] > lp[best] { best = i }
                        argmax.append(best)
                        let order = p.topK == 0 ? [] : topIndices(lp, k: p.topK)
                        top.append(order.map { TopToken(token: $0, piece: model.tokenizer.piece($0) ?? "", logprob: lp[$0]) })
                        if t + 1 < T { nllSum -= lp[tokens[t + 1]] }
                    }
                }
                let nll: Double? = T > 1 ? nllSum / Double(T - 1) : nil
                let logitRows = p.includeLogits ? (0..<T).map { Array(logits[($0 * V)..<(($0 + 1) * V)]) } : nil
                return AnalysisOutput(body: ForwardResult(argmax: argmax, top: top, nll: nll, perplexity: nll.map(exp),
                                                          logits: logitRows),
                                      digest: ForwardDigest(nll: nll))
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
