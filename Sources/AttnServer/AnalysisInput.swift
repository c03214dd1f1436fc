import AttnProtocol
import Foundation
import GPT2
import JSONRPC

/// One resolved input sequence.
struct ResolvedInput {
    /// Token ids, 1…nPositions of them, each < vocabSize.
    let tokens: [Int]
    /// The text they came from, when the request gave text.
    let text: String?
}

extension AnalysisInput {
    /// Tokenises and checks the input against `model`: token ids in the vocabulary, 1…context
    /// tokens. Errors are -32602 naming the field (`tokens[7]`, `texts[2]`). A text is
    /// tokenised only until it exceeds the context (`BPETokenizer.encode(_:limit:)`).
    func resolve(with model: LoadedModel) throws -> [ResolvedInput] {
        let limit = model.config.nPositions
        let vocab = model.config.vocabSize
        func check(_ tokens: [Int], field: String, value: JSONValue?) throws {
            if tokens.isEmpty {
                throw RPCError.invalidParams(field: field, value: value, accepted: "a text of at least one token",
                                             message: "invalid params: `\(field)` tokenises to no tokens")
            }
            if tokens.count > limit {
                throw RPCError.invalidParams(field: field, value: .int(Int64(tokens.count)),
                                             accepted: "at most \(limit) tokens (the model's context)",
                                             message: "invalid params: `\(field)` is \(tokens.count) tokens long; the model's context is \(limit) tokens")
            }
        }
        func tokenize(_ s: String, field: String) throws -> [Int] {
            let prefix = model.tokenizer.encode(s, limit: limit)
            guard prefix.isComplete else {
                throw RPCError.invalidParams(field: field, value: .int(Int64(prefix.ids.count)),
                                             accepted: "at most \(limit) tokens (the model's context)",
                                             message: "invalid params: `\(field)` is more than \(limit) tokens long (tokenising stopped at token \(prefix.ids.count), "
                                                + "byte \(prefix.bytesRead) of \(s.utf8.count)); the model's context is \(limit) tokens")
            }
            return prefix.ids
        }
        switch self {
        case .text(let s):
            let t = try tokenize(s, field: "text")
            try check(t, field: "text", value: s.utf8.count <= 1024 ? .string(s) : nil)
            return [ResolvedInput(tokens: t, text: s)]
        case .tokens(let t):
            if let i = t.firstIndex(where: { $0 >= vocab }) {
                throw RPCError.invalidParams(field: "tokens[\(i)]", value: .int(Int64(t[i])),
                                             accepted: "a token id in 0…\(vocab - 1)")
            }
            try check(t, field: "tokens", value: nil)
            return [ResolvedInput(tokens: t, text: nil)]
        case .texts(let list):
            return try list.enumerated().map { i, s in
                let t = try tokenize(s, field: "texts[\(i)]")
                try check(t, field: "texts[\(i)]", value: s.utf8.count <= 1024 ? .string(s) : nil)
                return ResolvedInput(tokens: t, text: s)
            }
        }
    }
}
