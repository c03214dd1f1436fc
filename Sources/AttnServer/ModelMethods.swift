import AttnProtocol
import Foundation
import JSONRPC

/// `model/load`, `model/info`, `tokenize`, and the `model` member of `initialize`.
extension ModelSession {
    /// Where `{path}` or `{name, download?}` (of `model/load` or `initialize.model`) points.
    static func source(_ p: ModelLoadParams) -> (source: Source, force: Bool) {
        (sourceOnly(p), p.force)
    }

    private static func sourceOnly(_ p: ModelLoadParams) -> Source {
        if let path = p.path { return .path(path) }
        return .name(p.name ?? "", download: p.download)
    }

    func register(into registry: MethodRegistry) {
        registry.extendInitialize(parse: { p -> (source: Source, force: Bool)? in
            p.model.map(ModelSession.source)
        }, kind: { $0 == nil ? .immediate : .compute }, handle: { source, context in
            if let source { try self.load(source.source, force: source.force, context: context) }
            var extra: [String: JSONValue] = ["capabilities": ["history": .bool(self.history.store != nil)]]
            if let m = self.current { extra["model"] = try JSONValue(encoding: m.info) }
            return extra
        })

        registry.register("model/load", kind: .compute, params: ModelLoadParams.self,
                          handle: { p, context in
            let (source, force) = ModelSession.source(p)
            return try self.load(source, force: force, context: context).info
        })

        registry.register("model/info", kind: .immediate) { _ in try self.requireModel().info }

        registry.register("tokenize", kind: .immediate, params: TokenizeParams.self, handle: { p, _ in
            let model = try self.requireModel()
            let encoded = model.tokenizer.encodeWithOffsets(p.text)
            // Each token costs at least 12 bytes of JSON beyond its piece (`N,` `"…",` `[a,b],`),
            // and the pieces together are at least the text's bytes: refuse before building a
            // result that could not be sent.
            let lowerBound = 12 * encoded.count + p.text.utf8.count
            let limit = self.configuration.maxMessageBytes
            if lowerBound > limit {
                throw RPCError(.invalidParams,
                    "invalid params: `text` gives \(encoded.count) tokens, whose tokenize response would be over \(lowerBound) bytes, above maxMessageBytes (\(limit)); tokenize it in parts",
                    data: ["field": "text", "tokens": .int(Int64(encoded.count)), "responseBytesAtLeast": .int(Int64(lowerBound)),
                           "maxMessageBytes": .int(Int64(limit))])
            }
            return TokenizeResult(tokens: encoded.map(\.id), pieces: encoded.map { model.tokenizer.piece($0.id) ?? "" },
                                  offsets: encoded.map { [$0.start, $0.end] })
        })
    }
}
