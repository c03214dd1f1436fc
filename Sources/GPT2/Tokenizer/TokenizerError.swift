/// Why a vocabulary or merges file was refused. Every message names the file, and the line or
/// token at fault, and says what was expected; it quotes at most `shownCharacters` characters
/// of the file's content (a file linked to a secret is never echoed).
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read at all.
    case unreadableFile(file: String, reason: String)
    /// `vocab.json` is not a JSON object mapping token strings to integer ids.
    case vocabularyNotAnObject(file: String, reason: String)
    /// A vocabulary entry's id is not an integer in 0…2^31-1.
    case invalidID(file: String, token: String, reason: String)
    /// Two vocabulary entries share one id.
    case duplicateID(file: String, id: Int, first: String, second: String)
    /// The vocabulary lacks the character that stands for a byte, so that byte cannot be encoded.
    case missingByteSymbol(file: String, byte: UInt8, symbol: String)
    /// A merges line is not two tokens separated by one space.
    case malformedMerge(file: String, line: Int, text: String)
    /// A merges line names a token that is not in the vocabulary.
    case mergeTokenNotInVocabulary(file: String, line: Int, token: String)
    /// A merges line's result (the two tokens joined) is not in the vocabulary.
    case mergeResultNotInVocabulary(file: String, line: Int, result: String)
    /// A file, a token or a count is over `TokenizerLimits` (`what` names it, `limit` the bound).
    case limitExceeded(file: String, what: String, limit: String)

    public var description: String {
        switch self {
        case let .unreadableFile(file, reason):
            return "\(file): cannot read (\(reason)); a tokenizer folder needs vocab.json and merges.txt"
        case let .vocabularyNotAnObject(file, reason):
            return "\(file): expected a JSON object mapping token strings to integer ids (\(reason))"
        case let .invalidID(file, token, reason):
            return "\(file): token \(quoted(token)) has an invalid id (\(reason)); ids are distinct integers below config.json's vocab_size"
        case let .duplicateID(file, id, first, second):
            return "\(file): tokens \(quoted(first)) and \(quoted(second)) share id \(id); ids must be unique"
        case let .missingByteSymbol(file, byte, symbol):
            return "\(file): no entry for \(quoted(symbol)), the symbol of byte 0x\(String(byte, radix: 16, uppercase: true)); "
                + "a byte-level BPE vocabulary must contain all 256 byte symbols"
        case let .malformedMerge(file, line, text):
            return "\(file) line \(line): \(quoted(text)) is not two tokens separated by one space"
        case let .mergeTokenNotInVocabulary(file, line, token):
            return "\(file) line \(line): token \(quoted(token)) is not in the vocabulary"
        case let .mergeResultNotInVocabulary(file, line, result):
            return "\(file) line \(line): the merged token \(quoted(result)) is not in the vocabulary"
        case let .limitExceeded(file, what, limit):
            return "\(file): \(what) is over the limit of \(limit); is this a GPT-2 tokenizer file?"
        }
    }

    /// Characters of file content a message may quote.
    static let shownCharacters = 10

    /// `text` in quotes, escaped, cut after `shownCharacters` characters.
    private func quoted(_ text: String) -> String {
        let shown = text.unicodeScalars.prefix(Self.shownCharacters).map { $0.escaped(asASCII: false) }.joined()
        return "\"" + shown + (text.unicodeScalars.count > Self.shownCharacters ? "…" : "") + "\""
    }

    /// What is at `offset` of `bytes`, for "found …": up to 4 characters, escaped, or "the end of the file".
    static func glimpse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> String {
        guard offset < bytes.count else { return "the end of the file" }
        let end = min(bytes.count, offset + 16)
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), as: UTF8.self)
        let shown = text.unicodeScalars.prefix(4).map { $0.escaped(asASCII: true) }.joined()
        return "`" + shown + (text.unicodeScalars.count > 4 || end < bytes.count ? "…" : "") + "`"
    }
}
