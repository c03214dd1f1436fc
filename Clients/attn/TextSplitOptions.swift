import ArgumentParser
import AttnProtocol
import JSONRPC

/// How one input (`--file`, the TEXT argument or standard input) becomes several texts.
enum TextSplit: String, ExpressibleByArgument, CaseIterable {
    /// Texts separated by one or more blank lines (lines empty or only spaces and tabs).
    case paragraphs
    /// One text per line; blank lines are skipped.
    case lines
}

/// `--split paragraphs|lines`: the input sent as the protocol's `texts` (Protocol/README.md §12)
/// instead of one `text`, for `sweep` and `calibrate`. Each text is analysed on its own and the
/// result carries the means over texts with 95% intervals.
///
/// A paragraph is its lines joined with "\n" (line endings `\n` or `\r\n`), without a final
/// newline; `lines` drops each line's ending. At most `ProtocolLimits.maxListLength` (64) texts,
/// the daemon's list limit: more is a usage error, so a long file is never cut silently.
struct TextSplitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Send the input as several texts (means over texts with 95% intervals): paragraphs (separated by blank lines) or lines (one text per line); at most 64.", valueName: "how"))
    var split: TextSplit?

    /// Refuses `--split` with `--tokens` (ids are one sequence) and with `--truncate` (a text
    /// longer than the context is refused naming `texts[i]`; shorten or split it further).
    func check(_ input: InputOptions) throws {
        guard split != nil else { return }
        if input.tokens != nil { throw ValidationError("--split applies to text (--file, TEXT or standard input), not to --tokens") }
        if input.truncate { throw ValidationError("--truncate cuts one text; with --split give texts that fit the model's context") }
    }

    /// The request's input member: `text`/`tokens` as `InputOptions` reads them, or with
    /// `--split` the `texts` list.
    /// - Throws: `CLIFailure.usage` when the split leaves no text or more than the daemon's limit.
    func params(_ input: InputOptions) throws -> [String: JSONValue] {
        let resolved = try input.resolve()
        guard let split, case .text(let whole) = resolved else { return resolved.params }
        let texts = TextSplitOptions.split(whole, by: split)
        let source = input.file.map { "--file \($0)" } ?? (input.text != nil ? "the text" : "standard input")
        guard !texts.isEmpty else { throw CLIFailure.usage("\(source) has no text to split into \(split.rawValue)") }
        guard texts.count <= ProtocolLimits.maxListLength else {
            throw CLIFailure.usage("\(source) splits into \(texts.count) \(split.rawValue); the daemon takes at most "
                + "\(ProtocolLimits.maxListLength) texts: use fewer, or merge some")
        }
        return ["texts": .array(texts.map(JSONValue.string))]
    }

    /// The texts of `whole` (see the type's comment): empty texts are never returned.
    static func split(_ whole: String, by split: TextSplit) -> [String] {
        // "\r\n" is one Character in Swift: both endings are separators.
        let lines = whole.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        func blank(_ line: Substring) -> Bool { line.allSatisfy { $0 == " " || $0 == "\t" } }
        switch split {
        case .lines:
            return lines.filter { !blank($0) }.map(String.init)
        case .paragraphs:
            var texts: [String] = []
            var current: [Substring] = []
            for line in lines + [""] {
                if blank(line) {
                    if !current.isEmpty { texts.append(current.joined(separator: "\n")) }
                    current = []
                } else {
                    current.append(line)
                }
            }
            return texts
        }
    }
}
