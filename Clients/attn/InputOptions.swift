import ArgumentParser
import Foundation
import JSONRPC

/// The input of an analysis: exactly one of a text argument, `--file`, `--tokens`, or stdin.
struct InputOptions: ParsableArguments {
    @Argument(help: "The text to analyse (else --file, --tokens, or standard input).")
    var text: String?

    @Option(help: ArgumentHelp("Read the text from this file (one final newline is dropped).", valueName: "path"))
    var file: String?

    @Option(help: ArgumentHelp("Token ids instead of text, comma-separated: 464,2068,7586.", valueName: "ids"))
    var tokens: String?

    func validate() throws {
        let given = [text != nil, file != nil, tokens != nil].filter { $0 }.count
        if given > 1 { throw ValidationError("give at most one of TEXT, --file and --tokens") }
        if let tokens { _ = try ListParsing.integers(tokens, option: "--tokens") }
    }

    /// The request's input member: `{"text": …}` or `{"tokens": […]}`.
    /// - Throws: `CLIFailure.usage` when the file cannot be read.
    func resolve() throws -> Input {
        if let tokens { return .tokens(try ListParsing.integers(tokens, option: "--tokens")) }
        if let text { return .text(text) }
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIFailure.usage("cannot read --file \(file): no such readable file")
            }
            return .text(Input.dropFinalNewline(String(decoding: data, as: UTF8.self)))
        }
        if Terminal.stdinIsTerminal { Output.note("attn: reading the text from standard input; end it with Ctrl-D") }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        return .text(Input.dropFinalNewline(String(decoding: data, as: UTF8.self)))
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

    static func dropFinalNewline(_ text: String) -> String {
        // "\r\n" is one Character in Swift, so one dropLast removes either ending.
        if text.hasSuffix("\r\n") || text.hasSuffix("\n") { return String(text.dropLast()) }
        return text
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
