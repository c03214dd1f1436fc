/// GPT-2's activation, `gelu_new` (the tanh approximation).
public enum GELU {
    /// `x ← 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` for `count` floats, in place.
    /// Computed as `x / (1 + e^(−2u))`, the same function (0.5·(1 + tanh u) = sigmoid(2u)).
    public static func forwardInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let c0 = Vec16(repeating: -2 * 0.7978845608028654)        // −2·√(2/π)
        let c1 = Vec16(repeating: -2 * 0.7978845608028654 * 0.044715)
        let one = Vec16(repeating: 1)
        var i = 0
        while i < count {
            let m = min(16, count - i)
            let v = loadVec(x + i, count: m)
            let minusTwoU = v * c0.addingProduct(c1, v * v)       // −2u = v·(c0 + c1·v²)
            storeVec(v / (one + vexp(minusTwoU)), x + i, count: m)
            i += 16
        }
    }
}
