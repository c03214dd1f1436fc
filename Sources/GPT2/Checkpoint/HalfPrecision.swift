/// Exact widening of 16-bit floats to float32. Every F16 and BF16 value (normals, subnormals,
/// ±0, ±inf, NaN with its payload) has an exact float32 representation, so these are
/// bit-level conversions with no rounding.
enum HalfPrecision {
    /// IEEE 754 binary16 bits → float32.
    @inline(__always)
    static func floatFromF16(bits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x03FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa × 2^-24, exact in float32 (mantissa < 2^10).
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 0x1F {
            // Inf (mantissa 0) or NaN (payload kept in the top mantissa bits).
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        // Normal: rebias the exponent from 15 to 127.
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// bfloat16 bits → float32: the top 16 bits of a float32.
    @inline(__always)
    static func floatFromBF16(bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// Widens `count` little-endian F16 values at `source` (any alignment) into `destination`.
    static func widenF16(from source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            destination[i] = floatFromF16(bits: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }

    /// Widens `count` little-endian BF16 values at `source` (any alignment) into `destination`.
    static func widenBF16(from source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            destination[i] = floatFromBF16(bits: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }
}
