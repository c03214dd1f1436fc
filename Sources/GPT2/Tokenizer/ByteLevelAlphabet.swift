/// GPT-2's reversible map between the 256 byte values and printable Unicode characters
/// (`bytes_to_unicode` in openai/gpt-2 `encoder.py`).
///
/// Bytes that are printable Latin-1 (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) map to themselves; the other 68
/// bytes map, in increasing byte order, to U+0100, U+0101, … So a space (0x20) is `Ġ` (U+0120)
/// and a newline (0x0A) is `Ċ` (U+010A). Vocabulary entries are strings over this alphabet.
enum ByteLevelAlphabet {
    /// `scalarForByte[b]` is the character that stands for byte `b`.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!   // 256…323: valid scalars
                next += 1
            }
        }
        return table
    }()

    /// The inverse map: the byte a character stands for, or nil when it is not in the alphabet.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 {
            return isPrintable(UInt8(value)) ? UInt8(value) : nil
        }
        return byteForShiftedScalar[value]
    }

    private static let byteForShiftedScalar: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for byte in 0..<256 where !isPrintable(UInt8(byte)) {
            map[scalarForByte[byte].value] = UInt8(byte)
        }
        return map
    }()

    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }
}
