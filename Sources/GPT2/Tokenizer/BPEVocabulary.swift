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
    ///   - limits: checked as the files are read, before anything is allocated per entry.
    ///   - checkCancelled: called every 4096 entries or merge lines; what it throws ends the parse.
    /// - Throws: `TokenizerError`, naming the file and the line or token at fault.
    init(vocabJSON: UnsafeRawBufferPointer, merges: UnsafeRawBufferPointer, vocabName: String, mergesName: String,
         limits: TokenizerLimits = TokenizerLimits(), checkCancelled: () throws -> Void = {}) throws {
        ids = try VocabularyJSONReader.read(vocabJSON, file: vocabName, limits: limits, checkCancelled: checkCancelled)

        // Ids are distinct and below `limits.idLimit` (checked while reading).
        var tokenBytes = [[UInt8]?](repeating: nil, count: (ids.values.max() ?? -1) + 1)
        for (token, id) in ids { tokenBytes[id] = Self.bytes(ofToken: token) }
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
        try checkCancelled()
        self.merges = try Self.parseMerges(merges, ids: ids, file: mergesName,
                                      maxRules: ids.count * limits.maxMergesPerToken, maxLineBytes: 4 * limits.maxTokenBytes + 2,
                                      checkCancelled: checkCancelled)
    }

    /// From the files' contents in memory (tests, `BPETokenizer(vocabJSON:mergesText:)`).
    init(vocabJSON: Data, mergesText: String, vocabName: String, mergesName: String,
         limits: TokenizerLimits = TokenizerLimits()) throws {
        var merges = mergesText
        self = try vocabJSON.withUnsafeBytes { vocab in
            try merges.withUTF8 { text in
                try BPEVocabulary(vocabJSON: vocab, merges: UnsafeRawBufferPointer(text),
                                  vocabName: vocabName, mergesName: mergesName, limits: limits)
            }
        }
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

    /// Parses `merges.txt`: one `left right` pair per line, rank = order among the pairs. Lines
    /// starting with `#version` and empty lines are skipped; a later duplicate of a pair
    /// overrides the earlier one (as in HuggingFace's BPE).
    private static func parseMerges(_ bytes: UnsafeRawBufferPointer, ids: [String: Int], file: String,
                                    maxRules: Int, maxLineBytes: Int, checkCancelled: () throws -> Void) throws -> BPEMergeTable {
        var lefts: [Int32] = [], rights: [Int32] = [], results: [Int32] = []
        var lineNumber = 0
        var lineStart = 0
        while lineStart < bytes.count {
            lineNumber += 1
            if lineNumber & 4095 == 0 { try checkCancelled() }
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A {
                lineEnd += 1
                if lineEnd - lineStart > maxLineBytes {
                    throw TokenizerError.limitExceeded(file: file, what: "line \(lineNumber)", limit: "\(maxLineBytes) bytes")
                }
            }
            let next = lineEnd + 1
            if lineEnd > lineStart && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }   // CRLF files
            let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd])
            lineStart = next
            if line.isEmpty || line.starts(with: "#version".utf8) { continue }
            guard results.count < maxRules else {
                throw TokenizerError.limitExceeded(file: file, what: "the number of merges (line \(lineNumber))",
                                                   limit: "\(maxRules), one per vocabulary entry")
            }
            let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.malformedMerge(file: file, line: lineNumber, text: String(decoding: line, as: UTF8.self))
            }
            let left = String(decoding: parts[0], as: UTF8.self), right = String(decoding: parts[1], as: UTF8.self)
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
