import ArgumentParser
import Foundation
import JSONRPC

/// How `--file` and standard input bytes become text.
enum TextEncoding: String, ExpressibleByArgument, CaseIterable {
    /// Strict: a byte sequence that is not UTF-8 is refused with its offset.
    case utf8 = "utf-8"
    /// ISO 8859-1: every byte is the code point of the same value.
    case latin1 = "latin-1"
    /// UTF-8, invalid sequences replaced by U+FFFD (what attn did before it checked).
    case utf8Replace = "utf-8-replace"

    init?(argument: String) {
        let spelled = argument.lowercased().replacingOccurrences(of: "_", with: "-")
        switch spelled {
        case "utf-8", "utf8": self = .utf8
        case "latin-1", "latin1", "iso-8859-1", "iso8859-1": self = .latin1
        case "utf-8-replace", "utf8-replace": self = .utf8Replace
        default: return nil
        }
    }
}

/// The input of an analysis: exactly one of a text argument, `--file`, `--tokens`, or stdin.
struct InputOptions: ParsableArguments {
    @Argument(help: "The text to analyse (else --file, --tokens, or standard input).")
    var text: String?

    @Option(help: ArgumentHelp("Read the text from this file, byte for byte (a final newline is kept, as Python's read() keeps it).", valueName: "path"))
    var file: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Token ids instead of text, comma-separated: 464,2068,7586.", valueName: "ids"))
    var tokens: String?

    @Flag(help: "Keep only the first tokens that fit the model's context (nPositions) of a longer input, instead of refusing it.")
    var truncate = false

    @Option(help: ArgumentHelp("Encoding of --file and standard input: utf-8 (default; other bytes are refused), latin-1, or utf-8-replace (invalid bytes become U+FFFD).", valueName: "name"))
    var encoding: TextEncoding = .utf8

    func validate() throws {
        let given = [text != nil, file != nil, tokens != nil].filter { $0 }.count
        if given > 1 { throw ValidationError("give at most one of TEXT, --file and --tokens") }
        if let tokens { _ = try ListParsing.integers(tokens, option: "--tokens") }
    }

    /// The request's input member: `{"text": …}` or `{"tokens": […]}`.
    /// - Throws: `CLIFailure.usage` when the file cannot be read or is not in `--encoding`.
    func resolve() throws -> Input {
        if let tokens { return .tokens(try ListParsing.integers(tokens, option: "--tokens")) }
        if let text { return .text(text) }
        if let file {
            return .text(try Input.decode(try Input.read(file: file), encoding: encoding, source: "--file \(file)"))
        }
        if Terminal.stdinIsTerminal { Output.note("attn: reading the text from standard input; end it with Ctrl-D") }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        return .text(try Input.decode(data, encoding: encoding, source: "standard input"))
    }
}

/// An analysis input as sent to the daemon.
enum Input: Equatable {
    case text(String)
    case tokens([Int])

    var params: [String: JSONValue] {
        switch self {
        case .text(let text): return ["text": .string(text)]
        case .tokens(let ids): return ["tokens": .array(ids.map { .int(Int64($0)) })]
        }
    }

    /// The bytes of `path`. - Throws: `CLIFailure.usage` saying whether it is missing, a folder or unreadable.
    static func read(file path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIFailure.usage("cannot read --file \(path): no such file")
        }
        if isDirectory.boolValue { throw CLIFailure.usage("cannot read --file \(path): it is a folder; give a text file") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.isReadableFile(atPath: path) ? error.localizedDescription : "permission denied"
            throw CLIFailure.usage("cannot read --file \(path): \(reason)")
        }
    }

    /// The text of `data` in `encoding`, every byte kept (no newline is dropped).
    /// - Throws: `CLIFailure.usage` naming `source` and the byte offset of the first sequence
    ///   that is not UTF-8 (strict `utf-8` only).
    static func decode(_ data: Data, encoding: TextEncoding, source: String) throws -> String {
        switch encoding {
        case .latin1:
            return String(data.map { Character(Unicode.Scalar($0)) })
        case .utf8Replace:
            return String(decoding: data, as: UTF8.self)
        case .utf8:
            if let offset = firstInvalidUTF8(data) {
                let shown = data[offset..<min(data.count, offset + 4)].map { String(format: "0x%02X", $0) }.joined(separator: " ")
                throw CLIFailure.usage("\(source) is not UTF-8: byte offset \(offset) starts an invalid sequence (\(shown)); "
                    + "pass --encoding latin-1 if it is ISO 8859-1, or --encoding utf-8-replace to replace invalid bytes with U+FFFD")
            }
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// The offset of the first byte that does not begin a valid UTF-8 sequence; nil when all are valid.
    static func firstInvalidUTF8(_ data: Data) -> Int? {
        var iterator = data.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}

/// Comma-separated option values (`0.01,0.005`, `16,32`).
enum ListParsing {
    static func numbers(_ text: String, option: String) throws -> [Double] {
        try items(text, option: option).map { item in
            guard let value = Double(item), value.isFinite else {
                throw ValidationError("\(option): \"\(item)\" is not a number (expected a comma-separated list such as 0.01,0.005)")
            }
            return value
        }
    }

    static func integers(_ text: String, option: String) throws -> [Int] {
        try items(text, option: option).map { item in
            guard let value = Int(item) else {
                throw ValidationError("\(option): \"\(item)\" is not an integer (expected a comma-separated list such as 16,32)")
            }
            return value
        }
    }

    private static func items(_ text: String, option: String) throws -> [String] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
            throw ValidationError("\(option): \"\(text)\" has an empty item (expected a comma-separated list)")
        }
        return items
    }

    /// A number as JSON: an integral value becomes an integer (for `topK` k values).
    static func json(_ value: Double) -> JSONValue {
        if value.rounded() == value, abs(value) < 1e15 { return .int(Int64(value)) }
        return .double(value)
    }
}
