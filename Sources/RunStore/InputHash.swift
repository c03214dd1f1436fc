/// The stable identity of a token sequence: 128-bit FNV-1a over the ids written as Int32
/// little-endian (4 bytes per token), as 32 lowercase hex digits. Stable across runs, machines
/// and versions: changing it would orphan every stored cache entry.
/// Ids outside the Int32 range are truncated (vocabularies are far smaller).
public enum InputHash {
    /// 128-bit FNV offset basis, high and low 64 bits.
    static let offsetBasis: (high: UInt64, low: UInt64) = (0x6c62_272e_07bb_0142, 0x62b8_2175_6295_c58d)

    /// FNV-1a 128 of `bytes`, as 32 lowercase hex digits.
    public static func fnv1a128<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var (high, low) = offsetBasis
        for byte in bytes {
            low ^= UInt64(byte)
            // Multiply (high, low) by the FNV-128 prime 2^88 + 0x13B, modulo 2^128.
            let product = low.multipliedFullWidth(by: 0x13B)
            high = high &* 0x13B &+ product.high &+ (low << 24)
            low = product.low
        }
        return hex(high) + hex(low)
    }

    /// The hash of a token sequence.
    public static func of(_ tokens: [Int]) -> String {
        fnv1a128(tokens.lazy.flatMap { token -> [UInt8] in
            let value = UInt32(bitPattern: Int32(truncatingIfNeeded: token))
            return [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
        })
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
