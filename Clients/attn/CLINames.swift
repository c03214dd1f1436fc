import Foundation

/// The command line's names for the protocol's params, so errors speak the flags the user typed
/// (`--export`, `--max-output-kl`) rather than the wire names (`exportPath`, `maxOutputKL`).
enum CLINames {
    /// Wire names whose flag is not their kebab-case spelling.
    static let special: [String: String] = [
        "exportPath": "--export", "text": "the text", "texts": "the texts", "id": "the run id", "ids": "run id",
        "name": "--model", "path": "--model", "tokens": "--tokens",
    ]

    /// `maxOutputKL` → `--max-output-kl` (swift-argument-parser's spelling of a property name).
    static func flag(_ wire: String) -> String {
        if let name = special[wire] { return name }
        var words: [String] = []
        var word = ""
        let characters = Array(wire)
        for (i, c) in characters.enumerated() {
            let next = i + 1 < characters.count ? characters[i + 1] : nil
            // A capital starts a word unless it continues an acronym (KL in maxOutputKL).
            if c.isUppercase, !word.isEmpty, !(word.last!.isUppercase && (next == nil || next!.isUppercase)) {
                words.append(word)
                word = ""
            }
            word.append(c)
        }
        if !word.isEmpty { words.append(word) }
        return "--" + words.map { $0.lowercased() }.joined(separator: "-")
    }

    /// A JSON path of a param (`thresholds[2]`, `exportPath`) as the user knows it
    /// (`--thresholds item 3`, `--export`).
    static func field(_ path: String) -> String {
        guard let bracket = path.firstIndex(of: "[") else { return flag(path) }
        let base = String(path[..<bracket])
        let index = path[path.index(after: bracket)...].prefix { $0.isNumber }
        guard let position = Int(index) else { return flag(base) + String(path[bracket...]) }
        return "\(flag(base)) item \(position + 1)"
    }

    /// Wire names inside a sentence (an `accepted` range, a message) replaced by their flags.
    static func sentence(_ text: String) -> String {
        var result = text.replacingOccurrences(of: "endToEnd: true", with: "--end-to-end")
            .replacingOccurrences(of: "pass force: true", with: "pass --force-model")
        let names = ["exportPath", "includeAttention", "includeLogits", "maxOutputKL", "maxAttentionKL", "endToEnd", "blockSizes",
                     "blockSize", "seedEpsilon", "keepSink", "keepLocal", "segmentSize", "entryThreshold", "topK"]
        for name in names {
            result = result.replacingOccurrences(of: "\\b\(name)\\b", with: flag(name), options: .regularExpression)
        }
        return result
    }
}
