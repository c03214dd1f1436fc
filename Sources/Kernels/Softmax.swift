import Foundation

/// Row softmax for causal attention.
public enum Softmax {
    /// Turns one row of raw scores into probabilities, in place:
    /// `row[k] = exp(scale·s[k] − m) / Σ_j≤last exp(scale·s[j] − m)` for `k < visible`
    /// (m = the largest scaled score), and `row[k] = 0` exactly for `visible ≤ k < count`
    /// (the causally masked keys; whatever was stored there is ignored).
    /// Reductions run in Float, as HuggingFace's float32 softmax does.
    ///
    /// With `entropy`, also writes the row's entropy `−Σ_k p_k ln p_k` (nats) there, from the
    /// scores rather than the rounded probabilities: with `x_k = scale·s_k − m`, `e_k = exp(x_k)`
    /// and `Z = Σ e_k`, `ln p_k = x_k − ln Z`, so the entropy is `ln Z − (Σ e_k x_k) / Z`: one
    /// multiply-add per key in the pass that sums `Z`, no logarithm per entry. (It differs from
    /// the entropy of the stored Float32 probabilities by their rounding, ~1e-7 relative.)
    public static func causalRow(_ row: UnsafeMutablePointer<Float>, visible: Int, count: Int, scale: Float,
                                 entropy: UnsafeMutablePointer<Float>? = nil) {
        precondition(visible >= 1 && visible <= count, "visible keys \(visible) must be in 1...\(count)")
        let full = visible / 16 * 16          // keys in whole 16-lane vectors; the rest is the tail
        let tail = visible - full
        // Pass 1: the largest score (compare-and-blend: one vector max, unlike the NaN-aware
        // `pointwiseMax`, which Swift lowers lane by lane).
        var maxV = Vec16(repeating: -.infinity)
        var i = 0
        while i < full {
            let v = loadVec(row + i, count: 16)
            maxV = maxV.replacing(with: v, where: v .> maxV)
            i += 16
        }
        if tail > 0 {
            let v = loadVec(row + full, count: tail, fill: -.infinity)
            maxV = maxV.replacing(with: v, where: v .> maxV)
        }
        let rowMax = largestLane(maxV) * scale
        // Pass 2: exponentials and their sum.
        let scaleV = Vec16(repeating: scale)
        let shift = Vec16(repeating: -rowMax)
        var sumV = Vec16()
        if let entropy {
            var weightedV = Vec16()            // Σ e·x (a zero e adds 0 even where x is −inf)
            i = 0
            while i < full {
                let x = shift.addingProduct(loadVec(row + i, count: 16), scaleV)
                let e = vexp(x)
                sumV += e
                weightedV += (e * x).replacing(with: 0, where: e .== 0)
                storeVec(e, row + i, count: 16)
                i += 16
            }
            if tail > 0 {
                let x = shift.addingProduct(loadVec(row + full, count: tail), scaleV)
                let e = vexp(x).replacing(with: 0, where: tailMask(tail))
                sumV += e
                weightedV += (e * x).replacing(with: 0, where: e .== 0)
                storeVec(e, row + full, count: tail)
            }
            let z = sumV.sum()
            entropy.pointee = log(z) - weightedV.sum() / z
        } else {
            i = 0
            while i < full {
                let e = vexp(shift.addingProduct(loadVec(row + i, count: 16), scaleV))
                sumV += e
                storeVec(e, row + i, count: 16)
                i += 16
            }
            if tail > 0 {
                let e = vexp(shift.addingProduct(loadVec(row + full, count: tail), scaleV))
                    .replacing(with: 0, where: tailMask(tail))
                sumV += e
                storeVec(e, row + full, count: tail)
            }
        }
        // Pass 3: normalise; zero the masked tail.
        let inv = Vec16(repeating: 1 / sumV.sum())
        i = 0
        while i < full {
            storeVec(loadVec(row + i, count: 16) * inv, row + i, count: 16)
            i += 16
        }
        if tail > 0 { storeVec(loadVec(row + full, count: tail) * inv, row + full, count: tail) }
        if visible < count { (row + visible).update(repeating: 0, count: count - visible) }
    }
}

/// The largest of 16 lanes, by halving (each step one compare-and-blend on half the width).
@inline(__always)
func largestLane(_ v: Vec16) -> Float {
    let a = v.lowHalf, b = v.highHalf
    let m8 = a.replacing(with: b, where: b .> a)
    let c = m8.lowHalf, d = m8.highHalf
    let m4 = c.replacing(with: d, where: d .> c)
    let e = m4.lowHalf, f = m4.highHalf
    let m2 = e.replacing(with: f, where: f .> e)
    return Swift.max(m2[0], m2[1])
}

extension Softmax {
    /// Softmax of one compact row of raw scores over the columns whose key is ≤ `lastKey`, in
    /// place: `row[c] = exp(scale·s[c] − m) / Σ` for those columns, exactly 0 for the others.
    /// `columnKeys[c]` is column `c`'s key index as a Float (+inf for columns never kept).
    /// `count` is a multiple of 16; at least one column must qualify.
    static func maskedRow(_ row: UnsafeMutablePointer<Float>, count: Int, columnKeys: UnsafePointer<Float>,
                          lastKey: Float, scale: Float) {
        let limit = Vec16(repeating: lastKey)
        var maxV = Vec16(repeating: -.infinity)
        var i = 0
        while i < count {
            let v = loadVec(row + i, count: 16)
            maxV = maxV.replacing(with: v, where: (loadVec(columnKeys + i, count: 16) .<= limit) .& (v .> maxV))
            i += 16
        }
        let rowMax = largestLane(maxV) * scale
        let scaleV = Vec16(repeating: scale), shift = Vec16(repeating: -rowMax)
        var sumV = Vec16()
        i = 0
        while i < count {
            let valid = loadVec(columnKeys + i, count: 16) .<= limit
            let e = vexp(shift.addingProduct(loadVec(row + i, count: 16), scaleV)).replacing(with: 0, where: .!valid)
            sumV += e
            storeVec(e, row + i, count: 16)
            i += 16
        }
        let inv = Vec16(repeating: 1 / sumV.sum())
        i = 0
        while i < count {
            storeVec(loadVec(row + i, count: 16) * inv, row + i, count: 16)
            i += 16
        }
    }
}
