/// Vectorised natural logarithm and exponential in Float64, eight lanes at a time.
///
/// Foundation's `log`/`exp` are scalar; the sweep needs one logarithm per visible attention
/// entry (about 75 million for GPT-2 small at T = 1024), so a lane-parallel version matters.
/// Both functions are accurate to a few units in the last place of a Double for the inputs
/// the analysis feeds them (see the comments on the valid ranges).

/// `ln 2` split into a high part exact in 32 bits and a low correction (Cody–Waite).
private let ln2High: Double = 0.693_147_180_369_123_816_49
private let ln2Low: Double = 1.908_214_929_270_587_700_02e-10

/// Natural logarithm of eight positive, finite, normal Doubles (nats).
///
/// `x = 2^e · m` with `m` in `[√½, √2)`, then `ln m = 2·atanh(s)`, `s = (m − 1)/(m + 1)`,
/// `|s| ≤ 0.1716`, summed to `s^17`: relative error below 1e-15.
/// - Precondition: every lane is `> 0`, finite and normal (callers clamp to `eps ≥ 1e-300`).
@inline(__always)
func vectorLog(_ x: SIMD8<Double>) -> SIMD8<Double> {
    let bits = unsafeBitCast(x, to: SIMD8<UInt64>.self)
    var exponent = SIMD8<Int64>(truncatingIfNeeded: bits &>> 52) &- 1023
    var mantissa = unsafeBitCast((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000, to: SIMD8<Double>.self)
    let high = mantissa .> 1.414_213_562_373_095_1
    mantissa.replace(with: mantissa * 0.5, where: high)
    exponent.replace(with: exponent &+ 1, where: high)
    let s = (mantissa - 1) / (mantissa + 1)
    let s2 = s * s
    var poly = SIMD8<Double>(repeating: 1.0 / 17)
    // Fused multiply-adds: Swift never fuses `a * b + c` by itself.
    poly = SIMD8(repeating: 1.0 / 15).addingProduct(poly, s2)
    poly = SIMD8(repeating: 1.0 / 13).addingProduct(poly, s2)
    poly = SIMD8(repeating: 1.0 / 11).addingProduct(poly, s2)
    poly = SIMD8(repeating: 1.0 / 9).addingProduct(poly, s2)
    poly = SIMD8(repeating: 1.0 / 7).addingProduct(poly, s2)
    poly = SIMD8(repeating: 1.0 / 5).addingProduct(poly, s2)
    poly = SIMD8(repeating: 1.0 / 3).addingProduct(poly, s2)
    poly = SIMD8(repeating: 1).addingProduct(poly, s2)
    let e = SIMD8<Double>(exponent)
    return (e * ln2Low).addingProduct(2 * s, poly).addingProduct(e, ln2High)
}

/// `ln(1 + y)` of eight Doubles in `(−1, 1]`, accurate for tiny `y` too: with `u = 1 + y`
/// (rounded), `ln(1 + y) = ln(u) · y / (u − 1)` cancels the rounding of `u`; `y` itself where `u = 1`.
@inline(__always)
func vectorLog1p(_ y: SIMD8<Double>) -> SIMD8<Double> {
    let u = y + 1
    let isOne = u .== 1
    let denominator = (u - 1).replacing(with: 1, where: isOne)
    return (vectorLog(u) * (y / denominator)).replacing(with: y, where: isOne)
}

/// `e^x` of eight Doubles with `x ≤ 0` (softmax exponents after subtracting the row max).
///
/// `x = n·ln 2 + r`, `|r| ≤ ½ ln 2`, `e^r` by a degree-11 polynomial, scaled by `2^n` through
/// the exponent bits. Lanes below −708 return 0 (the true value is below 1e-307).
///
/// The polynomial is the degree-17 Taylor series of `e^r` economised on `|r| ≤ 0.34658` by
/// dropping its Chebyshev terms `T₁₂…T₁₇` (exact rational arithmetic, then coefficients rounded
/// to Double): truncation error below 2e-17 relative; with Horner's rounding the result is
/// within 1e-15 relative of the exact value, and within 1e-14 of Foundation's `exp` (tested
/// in `VectorMathTests`). Every step is a fused multiply-add (`addingProduct`): Swift never
/// fuses `a * b + c` by itself.
@inline(__always)
func vectorExpNonPositive(_ x: SIMD8<Double>) -> SIMD8<Double> {
    let tooSmall = x .< -708
    let clamped = x.replacing(with: -708, where: tooSmall)
    // Round to nearest by adding 1.5·2^52: the integer lands in the low mantissa bits
    // (the standard library's SIMD `rounded` and Int conversion are not inlined).
    let shifter = SIMD8<Double>(repeating: 6_755_399_441_055_744)
    let shifted = shifter.addingProduct(clamped, 1.442_695_040_888_963_4)
    let n = shifted - shifter
    let r = clamped.addingProduct(n, -ln2High).addingProduct(n, -ln2Low)
    var poly = SIMD8<Double>(repeating: 2.511_487_254_367_789_7e-08)
    poly = SIMD8(repeating: 2.763_264_346_497_574_6e-07).addingProduct(poly, r)
    poly = SIMD8(repeating: 2.755_722_494_913_145_8e-06).addingProduct(poly, r)
    poly = SIMD8(repeating: 2.480_148_547_167_738_7e-05).addingProduct(poly, r)
    poly = SIMD8(repeating: 1.984_126_990_922_738_7e-04).addingProduct(poly, r)
    poly = SIMD8(repeating: 1.388_888_895_232_508_8e-03).addingProduct(poly, r)
    poly = SIMD8(repeating: 8.333_333_333_309_522e-03).addingProduct(poly, r)
    poly = SIMD8(repeating: 4.166_666_666_648_806e-02).addingProduct(poly, r)
    poly = SIMD8(repeating: 0.166_666_666_666_667_02).addingProduct(poly, r)
    poly = SIMD8(repeating: 0.500_000_000_000_001_9).addingProduct(poly, r)
    poly = SIMD8(repeating: 1).addingProduct(poly, r)
    poly = SIMD8(repeating: 1).addingProduct(poly, r)
    let nInt = unsafeBitCast(shifted, to: SIMD8<Int64>.self) &- unsafeBitCast(shifter, to: SIMD8<Int64>.self)
    let scaleBits = (nInt &+ 1023) &<< 52
    let scale = unsafeBitCast(scaleBits, to: SIMD8<Double>.self)
    return (poly * scale).replacing(with: 0, where: tooSmall)
}

/// Loads eight consecutive floats (no alignment required) as Doubles.
///
/// Written lane by lane: the generic `SIMD8<Double>(SIMD8<Float>)` initialiser is sometimes
/// left as a call in large functions; this form always becomes one `vcvtps2pd`.
@inline(__always)
func loadEightAsDouble(_ p: UnsafePointer<Float>) -> SIMD8<Double> {
    SIMD8<Double>(Double(p[0]), Double(p[1]), Double(p[2]), Double(p[3]),
                  Double(p[4]), Double(p[5]), Double(p[6]), Double(p[7]))
}

/// Lane-wise maximum (the standard library's `pointwiseMax` is not inlined for SIMD8<Float>).
@inline(__always)
func laneMax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    a.replacing(with: b, where: b .> a)
}

/// Lane-wise maximum of sixteen lanes (a compare and a blend: one `vmaxps`-like step).
@inline(__always)
func laneMax(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    a.replacing(with: b, where: b .> a)
}

/// Largest of sixteen lanes.
@inline(__always)
func largestLane(_ v: SIMD16<Float>) -> Float {
    largestLane(laneMax(v.lowHalf, v.highHalf))
}

/// Largest lane (the standard library's `.max()` is not inlined for SIMD8<Float>).
@inline(__always)
func largestLane(_ v: SIMD8<Float>) -> Float {
    let a = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
    return Swift.max(Swift.max(a[0], a[1]), Swift.max(a[2], a[3]))
}

/// Sum of the lanes by halves (three vector adds instead of seven dependent scalar adds).
@inline(__always)
func laneSum(_ v: SIMD8<Double>) -> Double {
    let a = v.lowHalf + v.highHalf
    let b = a.lowHalf + a.highHalf
    return b[0] + b[1]
}

/// Natural logarithm of sixteen positive, finite Floats (normal or subnormal), nats.
///
/// `x = 2^e · m` with `m` in `[√½, √2)`, then Cephes' `logf` polynomial in `f = m − 1`
/// (Moshier, Cephes Math Library; relative error below 1e-7 on `[0.5, 2]`), the exponent added
/// back in two parts. Subnormal lanes are scaled by 2²⁴ first. A zero lane gives garbage: the
/// caller masks zeros (the profile's entropy replaces them by 1, whose logarithm is 0).
/// - Note: with Float32 probabilities the entropy's terms `p ln p` are themselves only known to
///   ~6e-8 relative (the rounding of `p`), which is the accuracy this routine has.
@_transparent
func vectorLog(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let tiny = x .< Float.leastNormalMagnitude
    let scaled = x.replacing(with: x * 16_777_216, where: tiny)
    let bits = unsafeBitCast(scaled, to: SIMD16<UInt32>.self)
    // frexp: scaled = m · 2^(e + 1) with m in [0.5, 1); the biased exponent as an exact Float
    // (2²³ + n has n in its low mantissa bits).
    let biased = unsafeBitCast((bits &>> 23) | 0x4B00_0000, to: SIMD16<Float>.self) - 8_388_608
    var exponent = biased - 126
    exponent.replace(with: exponent - 24, where: tiny)
    let m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F00_0000, to: SIMD16<Float>.self)
    let low = m .< 0.707_106_781_186_547_524
    exponent.replace(with: exponent - 1, where: low)
    let f = m.replacing(with: m + m, where: low) - 1          // exact (Sterbenz)
    let z = f * f
    var y = SIMD16<Float>(repeating: 7.037_683_629_2e-2)
    y = SIMD16(repeating: -1.151_461_031_0e-1).addingProduct(y, f)
    y = SIMD16(repeating: 1.167_699_874_0e-1).addingProduct(y, f)
    y = SIMD16(repeating: -1.242_014_084_6e-1).addingProduct(y, f)
    y = SIMD16(repeating: 1.424_932_278_7e-1).addingProduct(y, f)
    y = SIMD16(repeating: -1.666_805_766_5e-1).addingProduct(y, f)
    y = SIMD16(repeating: 2.000_071_476_5e-1).addingProduct(y, f)
    y = SIMD16(repeating: -2.499_999_399_3e-1).addingProduct(y, f)
    y = SIMD16(repeating: 3.333_333_117_4e-1).addingProduct(y, f)
    y = y * f * z
    y = y.addingProduct(exponent, -2.121_944_40e-4)
    y = y.addingProduct(z, -0.5)
    return (f + y).addingProduct(exponent, 0.693_359_375)
}
