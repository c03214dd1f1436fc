/// Vector building blocks for the element-wise kernels: loads with a partial tail, `exp`, `tanh`.
///
/// Everything works on `SIMD16<Float>`; with `-march` flags it lowers to AVX-512, without them
/// it is the same arithmetic, slower.

typealias Vec16 = SIMD16<Float>

/// Loads `count` (≤ 16) floats from `p`, padding the rest with `fill`.
@inline(__always)
func loadVec(_ p: UnsafePointer<Float>, count: Int, fill: Float = 0) -> Vec16 {
    if count >= 16 { return UnsafeRawPointer(p).loadUnaligned(as: Vec16.self) }
    var v = Vec16(repeating: fill)
    for i in 0..<count { v[i] = p[i] }
    return v
}

/// Stores the first `count` (≤ 16) lanes of `v` to `p`.
@inline(__always)
func storeVec(_ v: Vec16, _ p: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 16 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec16.self); return }
    for i in 0..<count { p[i] = v[i] }
}

/// e^x for every lane: relative error below 3e-7 for x in [-87.3, 88.3]; exactly 0 below
/// -87.3 (where float32 `exp` underflows anyway); clamped at 88.3 so it never returns inf.
/// Cephes' `expf`: reduction by ln 2 (split in two constants), degree-5 polynomial, 2^n by bits.
/// `@_transparent`, not `@inline(__always)`: the latter left it an out-of-line call in release
/// builds (QuestBounds' softmax: every call spilled the vector registers; 7 µs of 61 per head).
@_transparent
func vexp(_ x: Vec16) -> Vec16 {
    let lo = Vec16(repeating: -87.3)
    let hi = Vec16(repeating: 88.3)
    let xc = x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi)
    // n = round(x / ln 2) with the 1.5·2^23 trick: the integer lands in the low mantissa bits.
    let magic = Vec16(repeating: 12582912.0)
    let shifted = magic.addingProduct(xc, Vec16(repeating: 1.44269504088896341))
    let n = shifted - magic
    var r = xc.addingProduct(n, Vec16(repeating: -0.693359375))
    r = r.addingProduct(n, Vec16(repeating: 2.12194440e-4))
    var p = Vec16(repeating: 1.9875691500e-4)
    p = Vec16(repeating: 1.3981999507e-3).addingProduct(p, r)
    p = Vec16(repeating: 8.3334519073e-3).addingProduct(p, r)
    p = Vec16(repeating: 4.1665795894e-2).addingProduct(p, r)
    p = Vec16(repeating: 1.6666665459e-1).addingProduct(p, r)
    p = Vec16(repeating: 5.0000001201e-1).addingProduct(p, r)
    let y = r.addingProduct(p, r * r) + Vec16(repeating: 1)
    let exponent = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
    let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: Vec16.self)
    return (y * scale).replacing(with: 0, where: x .< lo)
}

/// Lane-wise sum, in Float.
@inline(__always)
func horizontalSum(_ v: Vec16) -> Float { v.sum() }

/// C[i] += X[i] for `count` floats.
public func addInPlace(_ c: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i < count {
        let m = min(16, count - i)
        storeVec(loadVec(c + i, count: m) + loadVec(x + i, count: m), c + i, count: m)
        i += 16
    }
}
