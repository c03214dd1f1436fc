/// The estimators' inner products on Float rows, 16 lanes at a time (tails one by one).
/// Float32 accumulation: estimates, not exact scores.

/// Adds `a[c]·b[c]` for c < `count` into the 16 lanes of `acc`.
@inline(__always)
func accumulateProducts(_ acc: inout SIMD16<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
    var c = 0
    while c + 16 <= count {
        let x = UnsafeRawPointer(a + c).loadUnaligned(as: SIMD16<Float>.self)
        let y = UnsafeRawPointer(b + c).loadUnaligned(as: SIMD16<Float>.self)
        acc.addProduct(x, y)
        c += 16
    }
    while c < count {
        acc[0] += a[c] * b[c]
        c += 1
    }
}

/// Σ a[c]·b[c] over `count` floats.
@inline(__always)
func dotFloat(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD16<Float>()
    accumulateProducts(&acc, a, b, count: count)
    return acc.sum()
}

/// Σ_c max(q[c]·high[c], q[c]·low[c]): Quest's upper bound of q·k over keys with channels in
/// [low, high].
@inline(__always)
func boundDot(_ q: UnsafePointer<Float>, high: UnsafePointer<Float>, low: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD16<Float>()
    var c = 0
    while c + 16 <= count {
        let x = UnsafeRawPointer(q + c).loadUnaligned(as: SIMD16<Float>.self)
        let hi = x * UnsafeRawPointer(high + c).loadUnaligned(as: SIMD16<Float>.self)
        let lo = x * UnsafeRawPointer(low + c).loadUnaligned(as: SIMD16<Float>.self)
        acc += hi.replacing(with: lo, where: lo .> hi)
        c += 16
    }
    var sum = acc.sum()
    while c < count {
        sum += max(q[c] * high[c], q[c] * low[c])
        c += 1
    }
    return sum
}
