import Crypto
import Foundation
import Kernels

/// The one pass over a weights file's bytes at load time: SHA-256 of every byte and, in the
/// same pass, a check that every weight is finite. The file is walked in `chunkBytes` chunks;
/// each chunk is hashed, then the float elements that start in it are scanned while the chunk
/// is still in cache.
///
/// Cost: one read of the mapped file on the calling thread (see Benchmarks/README.md for the
/// measured GB/s); skipped entirely when `WeightsDigestCache` remembers the file.
enum CheckpointScan {
    /// Bytes hashed and scanned per step.
    static let chunkBytes = 1 << 20

    /// The SHA-256 of `file`'s bytes, from `cache` when it remembers this file version.
    /// - Throws: `GPT2CheckpointError.nonFiniteWeight` naming the first tensor (in file order)
    ///   holding a NaN or infinity, with the element's index. Tensors that are not loaded as
    ///   weights (the `attn.bias`/`attn.masked_bias` buffers) and non-float dtypes are not scanned.
    /// - Parameter checkCancelled: called before each chunk; what it throws ends the scan
    ///   (nothing is remembered).
    static func digest(of file: SafetensorsFile, cache: WeightsDigestCache,
                       chunkBytes: Int = chunkBytes, checkCancelled: () throws -> Void = {}) throws -> SHA256.Digest {
        let identity = file.mapping.identity
        if let known = cache.lookup(identity) { return known }
        let started = Date()
        let bytes = file.mapping.bytes
        let scanned = file.tensors.filter {
            $0.dtype.isLoadableAsFloat && !GPT2TensorNames.isAttentionBuffer(GPT2TensorNames.canonical($0.name))
        }
        var hasher = SHA256()
        var next = 0   // first tensor of `scanned` not yet fully scanned
        var offset = 0
        while offset < bytes.count {
            try checkCancelled()
            let end = min(offset + chunkBytes, bytes.count)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
            while next < scanned.count {
                let tensor = scanned[next]
                let start = file.dataRange.lowerBound + tensor.byteRange.lowerBound
                let stop = file.dataRange.lowerBound + tensor.byteRange.upperBound
                guard start < end else { break }
                if let bad = firstNonFinite(bytes, tensor: tensor, tensorStart: start,
                                            from: max(start, offset), to: min(stop, end)) {
                    cache.store(identity, nil, hashingStarted: started)
                    throw GPT2CheckpointError.nonFiniteWeight(
                        key: GPT2TensorNames.canonical(tensor.name), index: multiIndex(bad.element, shape: tensor.shape),
                        value: bad.value, file: file.mapping.url.path)
                }
                guard stop <= end else { break }
                next += 1
            }
            offset = end
        }
        let digest = hasher.finalize()
        cache.store(identity, digest, hashingStarted: started)
        return digest
    }

    /// The first non-finite element of `tensor` whose first byte lies in `[from, to)` (file
    /// offsets), as its flat index and its value's name (`NaN`, `+Inf`, `-Inf`).
    static func firstNonFinite(_ bytes: UnsafeRawBufferPointer, tensor: SafetensorsTensorInfo, tensorStart: Int,
                               from: Int, to: Int) -> (element: Int, value: String)? {
        let width = tensor.dtype.bitWidth / 8
        let first = (from - tensorStart + width - 1) / width   // element index, rounded up
        let last = (to - tensorStart + width - 1) / width      // one past the last element starting before `to`
        guard first < last, let base = bytes.baseAddress else { return nil }
        let elements = base + tensorStart
        switch tensor.dtype {
        case .f32:
            guard let j = NonFiniteScan.firstNonFinite(float32: elements + 4 * first, count: last - first) else { return nil }
            let value = Float(bitPattern: UInt32(littleEndian: elements.loadUnaligned(fromByteOffset: 4 * (first + j), as: UInt32.self)))
            return (first + j, name(of: value))
        case .f16, .bf16:
            let limit: UInt16 = tensor.dtype == .f16 ? 0x7C00 : 0x7F80
            var worst: UInt16 = 0
            for i in first..<last {
                worst = max(worst, UInt16(littleEndian: elements.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) & 0x7FFF)
            }
            guard worst >= limit else { return nil }
            for i in first..<last {
                let bits = UInt16(littleEndian: elements.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                let value = tensor.dtype == .f16 ? HalfPrecision.floatFromF16(bits: bits) : HalfPrecision.floatFromBF16(bits: bits)
                if !value.isFinite { return (i, name(of: value)) }
            }
        default:
            return nil
        }
        return nil
    }

    private static func name(of value: Float) -> String {
        value.isNaN ? "NaN" : (value < 0 ? "-Inf" : "+Inf")
    }

    /// The row-major index of flat element `i` in `shape`.
    static func multiIndex(_ i: Int, shape: [Int]) -> [Int] {
        var rest = i
        var index = [Int](repeating: 0, count: shape.count)
        for d in shape.indices.reversed() where shape[d] > 0 {
            index[d] = rest % shape[d]
            rest /= shape[d]
        }
        return index
    }
}
