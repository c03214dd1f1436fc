/// A fast non-cryptographic 128-bit hash for model fingerprints.
///
/// Design: four independent 64-bit lanes each absorb every fourth little-endian `UInt64` word
/// of the input with `lane = xorshift((lane ^ word) &* P)`. Each step is a bijection of the
/// lane for a fixed word and of the word for a fixed lane, so any single changed word changes
/// its lane. The four lanes run in parallel on a superscalar CPU (the dependency chain per lane
/// is one xor, one multiply, one shift-xor), which keeps the loop at memory bandwidth.
/// The tail (< 32 bytes) is absorbed word by word with zero padding, and the byte length is
/// mixed into the result, so inputs differing only in trailing zeros differ. Two 64-bit outputs
/// are folded from all four lanes with different multipliers and seeds.
///
/// Not for adversarial inputs; it detects accidental change (a different checkpoint, an edited
/// weight), not deliberate collisions.
enum FingerprintHash {
    private static let laneMultiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
    private static let foldMultipliers: (UInt64, UInt64) = (0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9)
    private static let laneSeeds: (UInt64, UInt64, UInt64, UInt64) =
        (0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89)

    /// The 128-bit hash of `bytes` as two 64-bit halves.
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> (UInt64, UInt64) {
        var v0 = laneSeeds.0 ^ seed, v1 = laneSeeds.1 ^ seed, v2 = laneSeeds.2 ^ seed, v3 = laneSeeds.3 ^ seed
        let count = bytes.count
        guard let base = bytes.baseAddress else { return fold(v0, v1, v2, v3, length: 0) }

        let blockBytes = 32
        let blocks = count / blockBytes
        var offset = 0
        for _ in 0..<blocks {
            v0 = absorb(v0, word(base, offset))
            v1 = absorb(v1, word(base, offset + 8))
            v2 = absorb(v2, word(base, offset + 16))
            v3 = absorb(v3, word(base, offset + 24))
            offset += blockBytes
        }
        // Tail: whole words, then one zero-padded partial word, round-robin into the lanes.
        var lane = 0
        while offset < count {
            var w: UInt64 = 0
            let n = min(8, count - offset)
            for i in 0..<n { w |= UInt64(base.load(fromByteOffset: offset + i, as: UInt8.self)) << (8 * UInt64(i)) }
            switch lane {
            case 0: v0 = absorb(v0, w)
            case 1: v1 = absorb(v1, w)
            case 2: v2 = absorb(v2, w)
            default: v3 = absorb(v3, w)
            }
            lane += 1
            offset += n
        }
        return fold(v0, v1, v2, v3, length: UInt64(count))
    }

    @inline(__always)
    private static func word(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    private static func absorb(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        let x = (lane ^ word) &* laneMultiplier
        return x ^ (x >> 29)
    }

    /// The splitmix64 / murmur3 finaliser: every input bit affects every output bit.
    @inline(__always)
    private static func avalanche(_ value: UInt64) -> UInt64 {
        var x = value
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }

    private static func fold(_ v0: UInt64, _ v1: UInt64, _ v2: UInt64, _ v3: UInt64, length: UInt64) -> (UInt64, UInt64) {
        var a = length ^ foldMultipliers.0, b = ~length ^ foldMultipliers.1
        for v in [v0, v1, v2, v3] {
            a = (a ^ avalanche(v)) &* foldMultipliers.0
            a ^= a >> 32
            b = (b ^ avalanche(v ^ b)) &* foldMultipliers.1
            b ^= b >> 29
        }
        return (avalanche(a), avalanche(b))
    }
}

/// Identifies a model by content: the lowercase hex 128-bit hash of `config.json`'s bytes and
/// the whole safetensors file (length field, header, every tensor byte).
///
/// Stable across loads of the same files and across machines (byte order is fixed
/// little-endian); changes when any weight byte, the header or the config bytes change
/// (including whitespace in config.json). Detects accidental change (another checkpoint, one
/// edited weight bit, an edited config); not meant to resist deliberate collisions.
///
/// Cost: one pass over the mapped file on the calling thread. Measured (2 vCPU AVX-512 VM,
/// release, `-march=native`): a 498 MB GPT-2-small-shaped file hashes in 0.023–0.032 s warm
/// (16–21 GB/s); a debug build manages about 0.3 GB/s.
public enum ModelFingerprint {
    /// 32 lowercase hex digits.
    public static func compute(configJSON: UnsafeRawBufferPointer, safetensors: UnsafeRawBufferPointer) -> String {
        let config = FingerprintHash.hash(configJSON, seed: 1)
        let weights = FingerprintHash.hash(safetensors, seed: 2)
        let parts: [UInt64] = [config.0, config.1, weights.0, weights.1].map(\.littleEndian)
        let combined = parts.withUnsafeBytes { FingerprintHash.hash($0, seed: 3) }
        return hex(combined.0) + hex(combined.1)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
