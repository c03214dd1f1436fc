import Foundation

/// The parsed contents of `vocab.json` and `merges.txt`, in the form BPE works on: every token
/// as its bytes, every merge as a pair of ids with a rank.
///
/// Immutable after `init`; safe to share across threads.
struct BPEVocabulary {
    /// `tokenBytes[id]`: the bytes token `id` stands for; nil for ids the vocabulary skips.
    let tokenBytes: [[UInt8]?]
    /// `byteIDs[b]`: id of the single-byte token for byte `b`.
    let byteIDs: [Int32]
    /// Merge rules by pair of ids, lower rank first.
    let merges: BPEMergeTable
    /// Token string → id, as written in `vocab.json`.
    let ids: [String: Int]

    /// - Parameters:
    ///   - vocabName, mergesName: how the two files are named in error messages.
    /// - Throws: `TokenizerError`, naming the file and the line or token at fault.
    init(vocabJSON: Data, mergesText: String, vocabName: String, mergesName: String) throws {
        ids = try Self.parseVocabulary(vocabJSON, file: vocabName)

        var byID: [Int: String] = [:]
        for (token, id) in ids {
            if let other = byID[id] {
                let (first, second) = other < token ? (other, token) : (token, other)
                throw TokenizerError.duplicateID(file: vocabName, id: id, first: first, second: second)
            }
            byID[id] = token
        }
        var tokenBytes = [[UInt8]?](repeating: nil, count: (byID.keys.max() ?? -1) + 1)
        for (id, token) in byID { tokenBytes[id] = Self.bytes(ofToken: token) }
        self.tokenBytes = tokenBytes

        var byteIDs = [Int32](repeating: 0, count: 256)
        for byte in 0..<256 {
            let symbol = String(Character(ByteLevelAlphabet.scalarForByte[byte]))
            guard let id = ids[symbol] else {
                throw TokenizerError.missingByteSymbol(file: vocabName, byte: UInt8(byte), symbol: symbol)
            }
            byteIDs[byte] = Int32(id)
        }
        self.byteIDs = byteIDs
        merges = try Self.parseMerges(mergesText, ids: ids, file: mergesName)
    }

    /// The bytes a vocabulary string stands for: each byte-alphabet character is one byte; any
    /// other character (an added token's text) stands for its own UTF-8.
    static func bytes(ofToken token: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            if let byte = ByteLevelAlphabet.byte(for: scalar) {
                bytes.append(byte)
            } else {
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        return bytes
    }

    private static func parseVocabulary(_ data: Data, file: String) throws -> [String: Int] {
        // Decoded as Double (exact for every id below 2^53) so that a fractional id is reported
        // against its token; Foundation's Int decoding reports it as invalid JSON.
        let raw: [String: Double]
        do {
            raw = try JSONDecoder().decode([String: Double].self, from: data)
        } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
            throw TokenizerError.invalidID(file: file, token: context.codingPath[0].stringValue,
                                           reason: "not a number")
        } catch let DecodingError.typeMismatch(_, context) {
            throw TokenizerError.vocabularyNotAnObject(file: file, reason: context.debugDescription)
        } catch {
            throw TokenizerError.vocabularyNotAnObject(file: file, reason: "not valid JSON: \(error)")
        }
        var ids: [String: Int] = [:]
        ids.reserveCapacity(raw.count)
        for (token, value) in raw {
            guard value.rounded() == value else {
                throw TokenizerError.invalidID(file: file, token: token, reason: "\(value) is not an integer")
            }
            guard value >= 0, value <= Double(Int32.max) else {
                throw TokenizerError.invalidID(file: file, token: token, reason: "\(Int(exactly: value).map(String.init) ?? "\(value)") is out of range")
            }
            ids[token] = Int(value)
        }
        return ids
    }

    /// Parses `merges.txt`: one `left right` pair per line, rank = order among the pairs. Lines
    /// starting with `#version` and empty lines are skipped; a later duplicate of a pair
    /// overrides the earlier one (as in HuggingFace's BPE).
    private static func parseMerges(_ text: String, ids: [String: Int], file: String) throws -> BPEMergeTable {
        var lefts: [Int32] = [], rights: [Int32] = [], results: [Int32] = []
        var lineNumber = 0
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.utf8.last == UInt8(ascii: "\r") { line = line.dropLast() }   // CRLF files
            if line.isEmpty || line.hasPrefix("#version") { continue }
            let parts = line.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.malformedMerge(file: file, line: lineNumber, text: String(line))
            }
            let left = String(Substring(parts[0])), right = String(Substring(parts[1]))
            guard let leftID = ids[left] else {
                throw TokenizerError.mergeTokenNotInVocabulary(file: file, line: lineNumber, token: left)
            }
            guard let rightID = ids[right] else {
                throw TokenizerError.mergeTokenNotInVocabulary(file: file, line: lineNumber, token: right)
            }
            guard let resultID = ids[left + right] else {
                throw TokenizerError.mergeResultNotInVocabulary(file: file, line: lineNumber, result: left + right)
            }
            lefts.append(Int32(leftID))
            rights.append(Int32(rightID))
            results.append(Int32(resultID))
        }
        return BPEMergeTable(lefts: lefts, rights: rights, results: results)
    }
}
