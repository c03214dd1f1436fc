import Foundation

/// Reads `vocab.json` — one JSON object of token string → integer id — in one pass over its
/// bytes, checking every id against `TokenizerLimits` as it is read. Nothing is allocated per
/// entry beyond the entry itself, so a file with an id of 10^9 or ten million entries is
/// refused at the offending entry, not after building them all.
///
/// Errors name the file, the line and column, what was expected, and at most a few bytes of
/// what was found (`TokenizerError`). Pure function; safe from any thread.
struct VocabularyJSONReader {
    private let bytes: UnsafeRawBufferPointer
    private let file: String
    private let limits: TokenizerLimits
    private var offset = 0

    /// Token string → id, in file order of first appearance; ids unique and < `limits.idLimit`.
    /// - Parameter checkCancelled: called every 4096 entries; what it throws ends the read.
    static func read(_ bytes: UnsafeRawBufferPointer, file: String, limits: TokenizerLimits,
                     checkCancelled: () throws -> Void = {}) throws -> [String: Int] {
        var reader = VocabularyJSONReader(bytes: bytes, file: file, limits: limits)
        return try reader.readObject(checkCancelled: checkCancelled)
    }

    private init(bytes: UnsafeRawBufferPointer, file: String, limits: TokenizerLimits) {
        self.bytes = bytes
        self.file = file
        self.limits = limits
    }

    private mutating func readObject(checkCancelled: () throws -> Void) throws -> [String: Int] {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else { throw structure("a JSON object `{` mapping token strings to integer ids") }
        offset += 1
        var ids: [String: Int] = [:]
        var tokenOfID: [Int: String] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { offset += 1; return try end(ids) }
        while true {
            skipWhitespace()
            let token = try readString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw structure("`:` after a token string") }
            offset += 1
            skipWhitespace()
            let id = try readID(token: token)
            if let previous = ids[token] { tokenOfID[previous] = nil }
            if let other = tokenOfID[id], other != token {
                let (first, second) = other < token ? (other, token) : (token, other)
                throw TokenizerError.duplicateID(file: file, id: id, first: first, second: second)
            }
            ids[token] = id
            tokenOfID[id] = token
            if ids.count & 4095 == 0 { try checkCancelled() }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"): offset += 1; return try end(ids)
            default: throw structure("`,` or `}` after an id")
            }
        }
    }

    private mutating func end(_ ids: [String: Int]) throws -> [String: Int] {
        skipWhitespace()
        guard offset == bytes.count else { throw structure("the end of the file after the object") }
        return ids
    }

    /// A JSON string, unescaped; at most `limits.maxTokenBytes` bytes as written.
    private mutating func readString() throws -> String {
        guard peek() == UInt8(ascii: "\"") else { throw structure("a token string in double quotes") }
        let start = offset
        offset += 1
        var out: [UInt8] = []
        while true {
            guard offset < bytes.count else { offset = start; throw structure("a closing `\"` for the token string") }
            if offset - start > limits.maxTokenBytes {
                offset = start
                throw TokenizerError.limitExceeded(file: file, what: "a token string (line \(position().line))",
                                                   limit: "\(limits.maxTokenBytes) bytes")
            }
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(bytes: out, encoding: .utf8) else {
                    offset = start
                    throw structure("a token string of valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                try readEscape(into: &out)
            case 0..<0x20:
                offset -= 1
                throw structure("a token string without raw control characters (escape them)")
            default:
                out.append(byte)
            }
        }
    }

    private mutating func readEscape(into out: inout [UInt8]) throws {
        guard offset < bytes.count else { throw structure("an escape after `\\`") }
        let byte = bytes[offset]
        offset += 1
        let simple: [UInt8: UInt8] = [UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F,
                                      UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A,
                                      UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09]
        if let value = simple[byte] { out.append(value); return }
        guard byte == UInt8(ascii: "u") else { offset -= 1; throw structure("a JSON escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)") }
        var unit = try readHex4()
        if (0xD800..<0xDC00).contains(unit) {
            // A high surrogate must be followed by `\u` and a low one.
            guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                throw structure("a low surrogate `\\uDC00`…`\\uDFFF` after a high one")
            }
            offset += 2
            let low = try readHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw structure("a low surrogate `\\uDC00`…`\\uDFFF` after a high one") }
            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(unit) {
            throw structure("a high surrogate before a low one")
        }
        out.append(contentsOf: String(Character(Unicode.Scalar(unit)!)).utf8)
    }

    private mutating func readHex4() throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw structure("four hex digits after `\\u`") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw structure("four hex digits after `\\u`")
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    /// A JSON number that is an integer in 0 ..< `limits.idLimit` (`12`, `12.0`, `1.2e1`).
    private mutating func readID(token: String) throws -> Int {
        guard offset < bytes.count else { throw structure("an id after `:`") }
        let start = offset
        while offset < bytes.count, offset - start <= 32,
              case let b = bytes[offset], (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-")
                || b == UInt8(ascii: "+") || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
            offset += 1
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard !text.isEmpty, offset - start <= 32, text.first != "+", let value = Double(text) else {
            offset = start
            throw TokenizerError.invalidID(file: file, token: token, reason: "not a number")
        }
        guard value.rounded() == value else {
            throw TokenizerError.invalidID(file: file, token: token, reason: "\(text) is not an integer")
        }
        guard value >= 0, value < Double(limits.idLimit) else {
            throw TokenizerError.invalidID(file: file, token: token,
                                           reason: "\(Int(exactly: value).map(String.init) ?? text) is out of range 0…\(limits.idLimit - 1)")
        }
        return Int(value)
    }

    private func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    /// Line and column (1-based, columns in bytes) of `offset`.
    private func position() -> (line: Int, column: Int) {
        var line = 1, lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return (line, offset - lineStart + 1)
    }

    /// The structural error at `offset`: what was expected and what was found there.
    private func structure(_ expected: String) -> TokenizerError {
        let (line, column) = position()
        return .vocabularyNotAnObject(file: file, reason: "line \(line), column \(column): expected \(expected), found \(TokenizerError.glimpse(bytes, at: offset))")
    }
}
