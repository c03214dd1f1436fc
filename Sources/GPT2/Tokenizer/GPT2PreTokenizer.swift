/// GPT-2's pre-tokenisation: the split that happens before BPE, so that merges never cross a
/// word, number, punctuation or whitespace boundary.
///
/// It is the regular expression
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// written out as a scanner over Unicode scalars, with the semantics HuggingFace's tokenizers
/// (Oniguruma) gives it:
/// - `\s` is the Unicode `White_Space` property (tab, LF, VT, FF, CR, space, U+0085, NBSP,
///   U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000); not U+001C–U+001F,
///   U+180E, U+200B or U+FEFF.
/// - `\p{L}` is general category L* (Lu, Ll, Lt, Lm, Lo); combining marks (M*) are not letters.
/// - `\p{N}` is N* (Nd, Nl, No): `²`, `½`, `Ⅻ`, Arabic-Indic and fullwidth digits included.
/// - The contractions are lower case only: `DON'T` splits as `DON`, `'`, `T`.
/// - The optional leading space is U+0020 only.
///
/// Pure function of its input; safe from any thread.
enum GPT2PreTokenizer {
    /// What the pattern's character classes see in one scalar.
    enum ScalarClass: UInt8 {
        case letter, number, whitespace, other
    }

    /// Appends to `pieces` the byte ranges of the pre-tokens of `bytes[range]` (valid UTF-8),
    /// in order. The ranges tile `range`.
    static func split(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, into pieces: inout [Range<Int>]) {
        var scalars = ScalarRun(bytes, range: range)
        let n = scalars.count
        var i = 0
        while i < n {
            // 's|'t|'re|'ve|'m|'ll|'d
            if scalars.values[i] == 0x27, let length = contractionLength(scalars.values, at: i) {
                pieces.append(scalars.byteRange(i, i + length))
                i += length
                continue
            }
            // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: an optional U+0020, then a run of one class.
            var first = i
            if scalars.values[i] == 0x20, i + 1 < n, scalars.classes[i + 1] != .whitespace {
                first = i + 1
            }
            let runClass = scalars.classes[first]
            if runClass != .whitespace {
                var end = first + 1
                while end < n && scalars.classes[end] == runClass { end += 1 }
                pieces.append(scalars.byteRange(i, end))
                i = end
                continue
            }
            // `\s+(?!\S)|\s+`: a whitespace run keeps its last scalar back for the next token
            // when a non-space follows (that scalar becomes the ` ?` of the next piece, or a
            // piece of its own when it is not U+0020).
            var end = i + 1
            while end < n && scalars.classes[end] == .whitespace { end += 1 }
            if end < n && end - i > 1 { end -= 1 }
            pieces.append(scalars.byteRange(i, end))
            i = end
        }
        scalars.release()
    }

    /// Length in scalars of the contraction starting with the apostrophe at `i`, if any.
    private static func contractionLength(_ values: UnsafeMutablePointer<UInt32>, at i: Int) -> Int? {
        // `values` is terminated by a 0 sentinel, so reading one or two past the apostrophe is safe.
        switch values[i + 1] {
        case 0x73, 0x74, 0x6D, 0x64: return 2                         // s t m d
        case 0x72, 0x76: return values[i + 2] == 0x65 ? 3 : nil       // re ve
        case 0x6C: return values[i + 2] == 0x6C ? 3 : nil             // ll
        default: return nil
        }
    }

    /// The class of one scalar. ASCII goes through a table; the rest asks Unicode properties.
    static func classify(_ value: UInt32) -> ScalarClass {
        if value < 0x80 { return asciiClasses[Int(value)] }
        guard let scalar = Unicode.Scalar(value) else { return .other }
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }

    private static let asciiClasses: [ScalarClass] = (0..<128).map { value -> ScalarClass in
        switch value {
        case 0x09...0x0D, 0x20: return .whitespace
        case 0x30...0x39: return .number
        case 0x41...0x5A, 0x61...0x7A: return .letter
        default: return .other
        }
    }
}

/// The scalars of one UTF-8 segment with their classes and byte offsets, in scratch buffers.
private struct ScalarRun {
    /// Scalar values, `count + 2` entries; the two past the end are 0 (sentinels).
    let values: UnsafeMutablePointer<UInt32>
    let classes: UnsafeMutablePointer<GPT2PreTokenizer.ScalarClass>
    /// Byte offset of each scalar, `count + 1` entries; the last is the segment's end.
    let starts: UnsafeMutablePointer<Int>
    private(set) var count = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        let capacity = range.count + 2   // a segment has at most one scalar per byte
        values = .allocate(capacity: capacity)
        classes = .allocate(capacity: capacity)
        starts = .allocate(capacity: capacity)
        var offset = range.lowerBound
        while offset < range.upperBound {
            let lead = bytes[offset]
            var value: UInt32
            var length: Int
            switch lead {
            case 0..<0x80: value = UInt32(lead); length = 1
            case 0xC0..<0xE0: value = UInt32(lead & 0x1F); length = 2
            case 0xE0..<0xF0: value = UInt32(lead & 0x0F); length = 3
            default: value = UInt32(lead & 0x07); length = 4
            }
            length = min(length, range.upperBound - offset)   // Swift strings are valid UTF-8; stay in bounds regardless
            for k in 1..<max(length, 1) { value = (value << 6) | UInt32(bytes[offset + k] & 0x3F) }
            values[count] = value
            classes[count] = GPT2PreTokenizer.classify(value)
            starts[count] = offset
            count += 1
            offset += length
        }
        starts[count] = range.upperBound
        values[count] = 0
        values[count + 1] = 0
    }

    /// Byte range of scalars `[from, to)`.
    func byteRange(_ from: Int, _ to: Int) -> Range<Int> { starts[from]..<starts[to] }

    func release() {
        values.deallocate()
        classes.deallocate()
        starts.deallocate()
    }
}
