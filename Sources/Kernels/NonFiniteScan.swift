/// Finds NaN and infinities in float32 data: the checkpoint loader scans every weight with it,
/// the daemon every attention layer and logits matrix a pass produces.
///
/// A float32 is non-finite exactly when its exponent bits are all ones, i.e. when its bits
/// without the sign are ≥ 0x7F80_0000; the scan is a vectorised max over those bits, 16 lanes
/// at a time, and only a hit pays for a second, element-wise pass to find the position.
/// Pure function; safe from any thread.
public enum NonFiniteScan {
    /// Index of the first non-finite element among `count` little-endian float32 values at
    /// `base` (any alignment), or nil when all are finite.
    public static func firstNonFinite(float32 base: UnsafeRawPointer, count: Int) -> Int? {
        let magnitude = SIMD16<UInt32>(repeating: 0x7FFF_FFFF)
        var worst = SIMD16<UInt32>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            let bits = base.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<UInt32>.self)
            worst = pointwiseMax(worst, bits & magnitude)
            i += 16
        }
        var tail: UInt32 = 0
        while i < count {
            tail = max(tail, base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self) & 0x7FFF_FFFF)
            i += 1
        }
        guard max(worst.max(), tail) >= 0x7F80_0000 else { return nil }
        for j in 0..<count where base.loadUnaligned(fromByteOffset: 4 * j, as: UInt32.self) & 0x7FFF_FFFF >= 0x7F80_0000 {
            return j
        }
        return nil
    }

    /// Index of the first non-finite element of `values`, or nil when all are finite.
    public static func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
        guard let base = values.baseAddress else { return nil }
        return firstNonFinite(float32: UnsafeRawPointer(base), count: values.count)
    }
}
