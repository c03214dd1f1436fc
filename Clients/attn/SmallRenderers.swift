import Foundation
import JSONRPC

/// Tables for `forward`, `tokenize` and `model/info` results.
enum SmallRenderers {
    /// Top-k next-token table. `pieces` are the input tokens' texts (from `tokenize`), when known.
    static func forward(_ result: JSONValue, tokens: [Int]?, pieces: [String]?, terminal: Terminal) -> String {
        let top = result["top"]?.list ?? []
        let width = top.map { $0.list.count }.max() ?? 0
        var table = TextTable(headers: ["pos", "token", "next"] + (0..<width).map { "top \($0 + 1)" }, leftAligned: Set(1...(2 + width)))
        for (position, candidates) in top.enumerated() {
            let token = label(position, tokens: tokens, pieces: pieces)
            let next = position + 1 < top.count ? label(position + 1, tokens: tokens, pieces: pieces) : ""
            let nextID = tokens.flatMap { position + 1 < $0.count ? $0[position + 1] : nil }
            let cells = candidates.list.map { candidate -> String in
                let piece = candidate["piece"]?.stringValue.map(Format.piece) ?? "#\(candidate["token"]?.intValue ?? 0)"
                let probability = exp(candidate["logprob"]?.doubleValue ?? -.infinity)
                let mark = candidate["token"]?.intValue == nextID && nextID != nil ? "✓" : ""
                return "\(piece) \(Format.percent(probability))\(mark)"
            }
            table.append([String(position), token, next] + cells)
        }
        var lines = [ResultHeader.line(method: "forward", result: result), "", table.render(), ""]
        if let nll = result["nll"]?.doubleValue {
            lines.append("mean next-token NLL \(Format.nats(nll)) nats, perplexity \(Format.number(result["perplexity"]?.doubleValue))")
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

    static func tokenize(_ result: JSONValue) -> String {
        let tokens = result["tokens"]?.list ?? []
        let pieces = result["pieces"]?.list ?? []
        let offsets = result["offsets"]?.list ?? []
        var table = TextTable(headers: ["index", "id", "piece", "bytes"], leftAligned: [2])
        for index in tokens.indices {
            let range = offsets[safe: index]?.list.compactMap(\.intValue) ?? []
            table.append([String(index), String(tokens[index].intValue ?? 0),
                          Format.piece(pieces[safe: index]?.stringValue ?? ""),
                          range.count == 2 ? "[\(range[0]), \(range[1]))" : ""])
        }
        return "\(tokens.count) tokens\n" + table.render()
    }

    static func modelInfo(_ info: JSONValue) -> String {
        let keys = ["name", "path", "fingerprint", "nLayer", "nHead", "nEmbd", "nPositions", "vocabSize", "parameterCount"]
        var table = TextTable(headers: ["field", "value"])
        for key in keys {
            guard let value = info[key] else { continue }
            table.append([key, value.stringValue ?? JSONWriter.string(value)])
        }
        return table.render()
    }
}
