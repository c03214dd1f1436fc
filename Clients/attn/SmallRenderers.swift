import AttnProtocol
import Foundation

/// Tables for `forward`, `tokenize` and `model/info` results.
enum SmallRenderers {
    /// Top-k next-token table. `pieces` are the input tokens' texts (from `tokenize`), when known.
    static func forward(_ response: ForwardResponse, tokens: [Int]?, pieces: [String]?, terminal: Terminal) -> String {
        let result = response.body
        let width = result.top.map(\.count).max() ?? 0
        var table = TextTable(headers: ["pos", "token", "next"] + (0..<width).map { "top \($0 + 1)" }, leftAligned: Set(1...(2 + width)), keyColumns: 3)
        for (position, candidates) in result.top.enumerated() {
            let token = label(position, tokens: tokens, pieces: pieces)
            let next = position + 1 < result.top.count ? label(position + 1, tokens: tokens, pieces: pieces) : ""
            let nextID = tokens.flatMap { position + 1 < $0.count ? $0[position + 1] : nil }
            let cells = candidates.map { candidate -> String in
                let mark = candidate.token == nextID ? "✓" : ""
                return "\(Format.piece(candidate.piece)) \(Format.probability(exp(candidate.logprob)))\(mark)"
            }
            table.append([String(position), token, next] + cells)
        }
        var lines = [ResultHeader.line(method: "forward", fields: response.fields, width: terminal.tableWidth), "", table.render(width: terminal.tableWidth), ""]
        if let nll = result.nll {
            lines.append("mean next-token NLL \(Format.nll(nll)) nats, perplexity \(Format.number(result.perplexity))")
        } else {
            lines.append("NLL: none (one token has no next token to predict)")
        }
        return lines.joined(separator: "\n")
    }

    private static func label(_ position: Int, tokens: [Int]?, pieces: [String]?) -> String {
        if let pieces, position < pieces.count { return Format.piece(pieces[position]) }
        if let tokens, position < tokens.count { return "#\(tokens[position])" }
        return ""
    }

    static func tokenize(_ result: TokenizeResult, terminal: Terminal) -> String {
        var table = TextTable(headers: ["index", "id", "piece", "bytes"], leftAligned: [2], elidable: [2: 12])
        for (index, token) in result.tokens.enumerated() {
            let range = result.offsets[safe: index] ?? []
            table.append([String(index), String(token), Format.piece(result.pieces[safe: index] ?? ""),
                          range.count == 2 ? "[\(range[0]), \(range[1]))" : ""])
        }
        return "\(result.tokens.count) tokens\n" + table.render(width: terminal.tableWidth)
    }

    static func modelInfo(_ info: ModelInfo, terminal: Terminal) -> String {
        var table = TextTable(headers: ["field", "value"], leftAligned: [0, 1], elidable: [1: 20])
        let rows: [(String, String)] = [
            ("name", info.name), ("path", info.path), ("fingerprint", info.fingerprint), ("nLayer", String(info.nLayer)),
            ("nHead", String(info.nHead)), ("nEmbd", String(info.nEmbd)), ("nPositions", String(info.nPositions)),
            ("vocabSize", String(info.vocabSize)), ("parameterCount", String(info.parameterCount)),
        ]
        for (field, value) in rows { table.append([field, value]) }
        return table.render(width: terminal.tableWidth)
    }
}
