import Foundation
import JSONRPC

/// `model/load`, `model/info`, `tokenize`, and the `model` member of `initialize`.
extension ModelSession {
    /// Reads `{path}` or `{name, download?}` (of `model/load` or `initialize.model`).
    static func readModelSource(_ r: ParamReader) throws -> Source {
        switch try r.oneOf(["path", "name"]) {
        case "path":
            let p = try r.string("path")
            guard p.hasPrefix("/") else {
                throw r.invalid("path", accepted: "an absolute path to a model folder")
            }
            if r.has("download") {
                throw r.invalid("download", accepted: "only with `name`")
            }
            return .path(p)
        default:
            let n = try r.string("name")
            guard !n.isEmpty else { throw r.invalid("name", accepted: "a model name such as gpt2") }
            return .name(n, download: try r.bool("download", default: false))
        }
    }

    func register(into registry: MethodRegistry) {
        registry.extendInitialize(parse: { r -> Source? in
            guard let m = try r.optionalObject("model") else { return nil }
            return try ModelSession.readModelSource(m)
        }, kind: { $0 == nil ? .immediate : .exclusive }, handle: { source, context in
            if let source { try self.load(source, context: context) }
            var extra: [String: JSONValue] = ["capabilities": ["history": .bool(self.history.store != nil)]]
            if let m = self.current { extra["model"] = m.info }
            return extra
        })

        registry.register("model/load", kind: .exclusive, parse: { r in try ModelSession.readModelSource(r) },
                          handle: { source, context in try self.load(source, context: context).info })

        registry.register("model/info", kind: .immediate) { _ in try self.requireModel().info }

        registry.register("tokenize", kind: .immediate, parse: { r in try r.string("text") }, handle: { text, _ in
            let model = try self.requireModel()
            let encoded = model.tokenizer.encodeWithOffsets(text)
            return [
                "tokens": .array(encoded.map { .int(Int64($0.id)) }),
                "pieces": .array(encoded.map { .string(model.tokenizer.piece($0.id) ?? "") }),
                "offsets": .array(encoded.map { [.int(Int64($0.start)), .int(Int64($0.end))] }),
            ] as JSONValue
        })
    }
}
