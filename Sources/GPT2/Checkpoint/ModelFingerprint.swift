import Crypto
import Foundation

/// Identifies a model by content, cryptographically: 64 lowercase hex digits,
///
///     SHA-256( "selectattention-model-v2\n" ‖ SHA-256(config.json) ‖ SHA-256(model.safetensors) )
///
/// over every byte of both files (the safetensors length field, header and all tensor bytes;
/// config.json including its whitespace). Two different checkpoints with one fingerprint would
/// be a SHA-256 collision, so cached results keyed by it cannot be forged in practice.
///
/// Reproduce it outside the daemon (Python):
///
///     import hashlib
///     d = lambda p: hashlib.sha256(open(p, "rb").read()).digest()
///     hashlib.sha256(b"selectattention-model-v2\n" + d("config.json") + d("model.safetensors")).hexdigest()
///
/// Version 1 (before issue 18) was a 32-digit non-cryptographic hash; the two formats never
/// compare equal (different lengths), so runs stored under a v1 fingerprint are never served
/// from the cache for a model loaded today (they stay listed and readable).
public enum ModelFingerprint {
    /// The domain-separation prefix of the outer hash.
    static let versionTag = Array("selectattention-model-v2\n".utf8)

    /// The fingerprint of a config digest and a weights digest.
    public static func combine(config: SHA256.Digest, weights: SHA256.Digest) -> String {
        var outer = SHA256()
        outer.update(data: versionTag)
        outer.update(data: Array(config))
        outer.update(data: Array(weights))
        return hex(outer.finalize())
    }

    /// The fingerprint of two files' contents held in memory.
    public static func compute(configJSON: UnsafeRawBufferPointer, safetensors: UnsafeRawBufferPointer) -> String {
        combine(config: SHA256.hash(data: configJSON), weights: SHA256.hash(data: safetensors))
    }

    /// Lowercase hex of a digest.
    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(2 * SHA256.Digest.byteCount)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
