import Crypto
import Foundation

/// The one pass over a weights file's bytes at load time: SHA-256 of every byte, in chunks.
///
/// Cost: one read of the mapped file on the calling thread (see Benchmarks/README.md for the
/// measured GB/s); skipped entirely when `WeightsDigestCache` remembers the file.
enum CheckpointScan {
    /// Bytes hashed per step.
    static let chunkBytes = 1 << 20

    /// The SHA-256 of `file`'s bytes, from `cache` when it remembers this file version.
    static func digest(of file: SafetensorsFile, cache: WeightsDigestCache) throws -> SHA256.Digest {
        let identity = file.mapping.identity
        if let known = cache.lookup(identity) { return known }
        let started = Date()
        let bytes = file.mapping.bytes
        var hasher = SHA256()
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunkBytes, bytes.count)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
            offset = end
        }
        let digest = hasher.finalize()
        cache.store(identity, digest, hashingStarted: started)
        return digest
    }
}
