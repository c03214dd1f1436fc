/// Row softmax for causal attention.
public enum Softmax {
    /// Turns one row of raw scores into probabilities, in place:
    /// `row[k] = exp(scale·s[k] − m) / Σ_j≤last exp(scale·s[j] − m)` for `k < visible`
    /// (m = the largest scaled score), and `row[k] = 0` exactly for `visible ≤ k < count`
    /// (the causally masked keys; whatever was stored there is ignored).
    /// Reductions run in Float, as HuggingFace's float32 softmax does.
    public static func causalRow(_ row: UnsafeMutablePointer<Float>, visible: Int, count: Int, scale: Float) {
        precondition(visible >= 1 && visible <= count, "visible keys \(visible) must be in 1...\(count)")
        // Pass 1: the largest score.
        var maxV = Vec16(repeating: -.infinity)
        var i = 0
        while i < visible {
            let m = min(16, visible - i)
            maxV = pointwiseMax(maxV, loadVec(row + i, count: m, fill: -.infinity))
            i += 16
        }
        let rowMax = maxV.max() * scale
        // Pass 2: exponentials and their sum.
        let scaleV = Vec16(repeating: scale)
        let shift = Vec16(repeating: -rowMax)
        var sumV = Vec16()
        i = 0
        while i < visible {
            let m = min(16, visible - i)
            var e = vexp(shift.addingProduct(loadVec(row + i, count: m), scaleV))
            if m < 16 { e = e.replacing(with: 0, where: laneIndex .>= Int32(m)) }
            sumV += e
            storeVec(e, row + i, count: m)
            i += 16
        }
        // Pass 3: normalise; zero the masked tail.
        let inv = Vec16(repeating: 1 / sumV.sum())
        i = 0
        while i < visible {
            let m = min(16, visible - i)
            storeVec(loadVec(row + i, count: m) * inv, row + i, count: m)
            i += 16
        }
        if visible < count { (row + visible).update(repeating: 0, count: count - visible) }
    }
}

/// Lane indices 0…15.
private let laneIndex = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
