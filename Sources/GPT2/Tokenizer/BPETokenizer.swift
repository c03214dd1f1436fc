import Foundation

/// GPT-2's byte-level BPE tokenizer, read from a HuggingFace `vocab.json` + `merges.txt`.
///
/// Encoding follows HuggingFace's `GPT2TokenizerFast` (add_prefix_space false, no BOS):
/// 1. occurrences of `<|endoftext|>` are split out as the special token;
/// 2. the text between them is pre-tokenised by GPT-2's pattern (`GPT2PreTokenizer`);
/// 3. each pre-token's UTF-8 bytes become byte symbols, merged pairwise by rank until no
///    adjacent pair has a merge rule (`BPEMerger`).
///
/// Offsets are UTF-8 byte offsets `[start, end)` into the input. They tile the input: a token
/// may hold part of a multi-byte character, so a span need not fall on character boundaries.
///
/// Long texts are pre-tokenised in windows of 64 KiB (`encode(_:limit:windowBytes:)`), so
/// memory beyond the tokens stays bounded by the longest pre-token, and `encode(_:limit:)`
/// stops as soon as a context is exceeded.
///
/// - Important: immutable after `init` except for an internal word cache guarded by a lock;
///   every method may be called from several threads at once.
public final class BPETokenizer: @unchecked Sendable {
    /// The text of the one special token.
    static let endOfTextToken = "<|endoftext|>"

    private let vocabulary: BPEVocabulary
    /// `tokenLengths[id]`: bytes the token stands for (0 for ids the vocabulary skips).
    private let tokenLengths: [Int]
    private let specialBytes: [UInt8]
    private let cache = BPEWordCache()

    /// Id of `<|endoftext|>`, when the vocabulary has it.
    public let endOfTextID: Int?

    /// One more than the largest id in `vocab.json` (50257 for GPT-2): every id `encode`
    /// returns is below it.
    public var vocabularySize: Int { vocabulary.tokenBytes.count }

    /// Reads `vocab.json` and `merges.txt` from a folder, checking `limits` before reading:
    /// each file's size first, then every id and count as it is read (so a refused file costs
    /// at most its own size in memory: it is mapped, not copied).
    /// - Parameter limits: `TokenizerLimits(vocabSize:)` with config.json's `vocab_size`
    ///   when the model is known.
    /// - Throws: `TokenizerError` naming the file (and line or token) at fault.
    /// - Parameter checkCancelled: called every 4096 vocabulary entries or merge lines (on the
    ///   calling thread); what it throws ends the load.
    public convenience init(directory: URL, limits: TokenizerLimits = TokenizerLimits(),
                            checkCancelled: () throws -> Void = {}) throws {
        let vocab = try Self.map(directory.appendingPathComponent("vocab.json"), maxBytes: limits.maxVocabularyFileBytes)
        let merges = try Self.map(directory.appendingPathComponent("merges.txt"), maxBytes: limits.maxMergesFileBytes)
        try self.init(vocabulary: BPEVocabulary(vocabJSON: vocab.bytes, merges: merges.bytes, vocabName: vocab.url.path,
                                                mergesName: merges.url.path, limits: limits, checkCancelled: checkCancelled))
    }

    /// Builds a tokenizer from the two files' contents. Errors call them `vocab.json` and `merges.txt`.
    public convenience init(vocabJSON: Data, mergesText: String, limits: TokenizerLimits = TokenizerLimits()) throws {
        try self.init(vocabulary: BPEVocabulary(vocabJSON: vocabJSON, mergesText: mergesText,
                                                vocabName: "vocab.json", mergesName: "merges.txt", limits: limits))
    }

    private init(vocabulary: BPEVocabulary) {
        self.vocabulary = vocabulary
        tokenLengths = vocabulary.tokenBytes.map { $0?.count ?? 0 }
        endOfTextID = vocabulary.ids[Self.endOfTextToken]
        specialBytes = Array(Self.endOfTextToken.utf8)
    }

    /// Maps one tokenizer file after checking its size.
    private static func map(_ url: URL, maxBytes: Int) throws -> MappedFile {
        let file: MappedFile
        do {
            file = try MappedFile(url: url)
        } catch {
            throw TokenizerError.unreadableFile(file: url.path, reason: "\(error)")
        }
        guard file.bytes.count <= maxBytes else {
            throw TokenizerError.limitExceeded(file: url.path, what: "the file's size (\(file.bytes.count) bytes)", limit: "\(maxBytes) bytes")
        }
        return file
    }

    /// Token ids of `text`, as `GPT2TokenizerFast.encode(text)` gives them.
    public func encode(_ text: String) -> [Int] {
        encodeWithOffsets(text).map(\.id)
    }

    /// The first tokens of `text`, stopping as soon as there are more than `limit`: the ids
    /// are those `encode(text)` starts with (all of them when `isComplete`), at most
    /// `limit + 1`. Costs time and memory in proportion to the text tokenised, not to `text`
    /// (a 50 MB text over a 1024-token context is refused after a few kilobytes).
    public func encode(_ text: String, limit: Int) -> EncodedPrefix {
        let result = encode(text, limit: max(0, limit), windowBytes: Self.windowBytes)
        return EncodedPrefix(ids: result.tokens.map(\.id), isComplete: result.isComplete, bytesRead: result.bytesRead)
    }

    /// Token ids of `text`, each with the UTF-8 byte span `[start, end)` it covers.
    public func encodeWithOffsets(_ text: String) -> [(id: Int, start: Int, end: Int)] {
        encode(text, limit: nil, windowBytes: Self.windowBytes).tokens
    }

    /// Bytes pre-tokenised at a time (a window grows while it holds fewer than three pre-tokens).
    static let windowBytes = 1 << 16

    /// Encodes `text` window by window: each window of about `windowBytes` is pre-tokenised,
    /// and all but its last two pre-tokens are final (their extent and lookahead lie inside
    /// the window; see `GPT2PreTokenizer`); the next window starts at the first of the two.
    /// Stops once more than `limit` tokens are out.
    func encode(_ text: String, limit: Int?, windowBytes: Int) -> (tokens: [(id: Int, start: Int, end: Int)], isComplete: Bool, bytesRead: Int) {
        var text = text
        var tokens: [(id: Int, start: Int, end: Int)] = []
        var bytesRead = 0
        let complete: Bool = text.withUTF8 { bytes in
            tokens.reserveCapacity(min(bytes.count / 2, limit.map { $0 + 1 } ?? Int.max))
            var pieces: [Range<Int>] = []
            func full() -> Bool { limit.map { tokens.count > $0 } ?? false }
            /// Encodes `bytes[from..<to]` (no special token inside); false when the limit stopped it.
            func encodeText(_ from: Int, _ to: Int) -> Bool {
                var start = from
                var window = windowBytes
                while start < to {
                    var stop = min(to, start + window)
                    while stop < to && bytes[stop] & 0xC0 == 0x80 { stop -= 1 }   // a scalar boundary
                    pieces.removeAll(keepingCapacity: true)
                    if stop > start { GPT2PreTokenizer.split(bytes, range: start..<stop, into: &pieces) }
                    var keep = pieces.count
                    if stop < to {
                        // The last two pre-tokens may read past the window (a run's end, a
                        // contraction's two scalars of lookahead): redo them in the next one.
                        guard pieces.count >= 3 else { window *= 2; continue }
                        keep -= 2
                    }
                    for piece in pieces[..<keep] {
                        var position = piece.lowerBound
                        for id in wordIDs(bytes, piece) {
                            let next = position + tokenLengths[Int(id)]
                            tokens.append((id: Int(id), start: position, end: next))
                            position = next
                        }
                        bytesRead = piece.upperBound
                        if full() { return false }
                    }
                    start = keep < pieces.count ? pieces[keep].lowerBound : stop
                    window = windowBytes
                }
                return true
            }
            var segmentStart = 0
            var i = 0
            while i < bytes.count {
                if let special = endOfTextID, startsWithSpecial(bytes, at: i) {
                    guard encodeText(segmentStart, i) else { return false }
                    tokens.append((id: special, start: i, end: i + specialBytes.count))
                    i += specialBytes.count
                    bytesRead = i
                    if full() { return false }
                    segmentStart = i
                } else {
                    i += 1
                }
            }
            guard encodeText(segmentStart, bytes.count) else { return false }
            bytesRead = bytes.count
            return true
        }
        if let limit, tokens.count > limit + 1 { tokens.removeLast(tokens.count - limit - 1) }
        return (tokens, complete, bytesRead)
    }

    /// The text of `ids` joined; invalid UTF-8 (a multi-byte character cut between tokens)
    /// becomes U+FFFD. Ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(ids.count * 4)
        for id in ids {
            if let tokenBytes = bytes(of: id) { output.append(contentsOf: tokenBytes) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The text of one token (lossy UTF-8: a partial character becomes U+FFFD), or nil when
    /// `id` is not in the vocabulary.
    public func piece(_ id: Int) -> String? {
        bytes(of: id).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The raw bytes token `id` stands for, or nil when `id` is not in the vocabulary.
    func bytes(of id: Int) -> [UInt8]? {
        guard id >= 0, id < vocabulary.tokenBytes.count else { return nil }
        return vocabulary.tokenBytes[id]
    }

    // MARK: - BPE

    private func startsWithSpecial(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard bytes[i] == specialBytes[0], bytes.count - i >= specialBytes.count else { return false }
        for k in 1..<specialBytes.count where bytes[i + k] != specialBytes[k] { return false }
        return true
    }

    /// The BPE ids of one pre-token, from the cache when it has been seen before.
    private func wordIDs(_ bytes: UnsafeBufferPointer<UInt8>, _ piece: Range<Int>) -> [Int32] {
        if piece.count == 1 { return [vocabulary.byteIDs[Int(bytes[piece.lowerBound])]] }
        let word = Array(bytes[piece])
        if let cached = cache.lookup(word) { return cached }
        let ids = BPEMerger.merge(word.map { vocabulary.byteIDs[Int($0)] }, rules: vocabulary.merges)
        cache.store(word, ids)
        return ids
    }
}

/// The start of a text's tokens, from `BPETokenizer.encode(_:limit:)`.
public struct EncodedPrefix: Equatable, Sendable {
    /// The first tokens: all of them when `isComplete`, else `limit + 1` of them.
    public let ids: [Int]
    /// True when the whole text was tokenised within the limit.
    public let isComplete: Bool
    /// UTF-8 bytes of the text tokenised before stopping (the whole text when `isComplete`).
    public let bytesRead: Int
}
