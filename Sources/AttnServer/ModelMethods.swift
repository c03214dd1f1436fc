import AttnProtocol
import Foundation
import JSONRPC

/// `model/load`, `model/info`, `tokenize`, and the `model` member of `initialize`.
extension ModelSession {
    /// Where `{path}` or `{name, download?}` (of `model/load` or `initialize.model`) points.
    static func source(_ p: ModelLoadParams) -> Source {
        if let path = p.path { return .path(path) }
        return .name(p.name ?? "", download: p.download)
    }

    func register(into registry: MethodRegistry) {
        registry.extendInitialize(parse: { r -> Source? in
            guard let m = try r.optionalObject("model") else { return nil }
            return ModelSession.source(try ModelLoadParams(reading: m))
        }, kind: { $0 == nil ? .immediate : .exclusive }, handle: { source, context in
            if let source { try self.load(source, context: context) }
            var extra: [String: JSONValue] = ["capabilities": ["history": .bool(self.history.store != nil)]]
            if let m = self.current { extra["model"] = try JSONValue(encoding: m.info) }
            return extra
        })

        registry.register("model/load", kind: .exclusive, params: ModelLoadParams.self,
                          handle: { p, context in try self.load(ModelSession.source(p), context: context).info })

        registry.register("model/info", kind: .immediate) { _ in try self.requireModel().info }

        registry.register("tokenize", kind: .immediate, params: TokenizeParams.self, handle: { p, _ in
            let model = try self.requireModel()
            let encoded = model.tokenizer.encodeWithOffsets(p.text)
            return TokenizeResult(tokens: encoded.map(\.id), pieces: encoded.map { model.tokenizer.piece($0.id) ?? "" },
                                  offsets: encoded.map { [$0.start, $0.end] })
        })
    }
}
