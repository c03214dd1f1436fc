import AttentionAnalysis
import AttnProtocol
import Foundation
import JSONRPC

extension ModelSession {
    func registerForward(into registry: MethodRegistry) {
        registry.register("forward", kind: .compute, params: ForwardParams.self, handle: { p, context in
            let model = try self.requireModel()
            let inputs = try context.timed("tokenize") { try p.input.resolve(with: model) }
            let tokens = inputs[0].tokens
            let T = tokens.count, V = model.config.vocabSize
            if p.includeLogits && T * V > ProtocolLimits.maxInlineEntries {
                throw RPCError.invalidParams(field: "includeLogits", value: true,
                                             accepted: "false when T·V > \(ProtocolLimits.maxInlineEntries) (here \(T)·\(V) = \(T * V))")
            }
            return try self.runAnalysis(method: "forward", params: p, inputs: inputs, model: model,
                                        cacheable: !p.force && !p.includeLogits, context: context) {
                let span = ProgressSpan(context: context, from: 0, to: 90)
                // `forward` reads no attention, and the reference's row pass checks the logits: the
                // pass skips both scans (unless it is kept in the cache).
                guard let logits = try self.densePass(model: model, tokens: tokens, needLogits: true, scansFinite: false,
                                                      context: context, progress: span, consume: { _, _ in }) else {
                    throw RPCError(.internalError, "the forward pass returned no logits")
                }
                try context.checkCancelled()
                let reference: DenseLogitsReference
                do {
                    reference = try context.timed("analysis") {
                        try DenseLogitsReference(logits: logits, tokens: tokens, vocabularySize: V,
                                                 threadCount: model.model.threads, topK: p.topK)
                    }
                } catch let found as NonFiniteLogits {
                    // Overflow seen only in the logits: a pass with the attention scan names the layer
                    // where it began, as every method reports it; else it began after the attention.
                    _ = try self.densePass(model: model, tokens: tokens, needLogits: false, context: context,
                                           progress: span, consume: { _, _ in })
                    throw FiniteGuard.error(quantity: "logits", layer: nil, point: nil, value: Double(found.value))
                }
                let predictions = context.timed("analysis") { reference.predictions(topK: p.topK) }
                let argmax = predictions.map(\.argmax)
                let top = predictions.map { $0.top.map { TopToken(token: $0.token, piece: model.tokenizer.piece($0.token) ?? "", logprob: $0.logprob) } }
                let nll = reference.nll
                let logitRows = p.includeLogits ? (0..<T).map { Array(logits[($0 * V)..<(($0 + 1) * V)]) } : nil
                return AnalysisOutput(body: ForwardResult(argmax: argmax, top: top, nll: nll, perplexity: nll.map(exp),
                                                          logits: logitRows),
                                      digest: ForwardDigest(nll: nll))
            }
        })
    }
}
