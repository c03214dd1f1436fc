/// Layer normalisation over the last dimension.
public enum LayerNorm {
    /// `out[t, :] = (x[t, :] − mean) / sqrt(var + eps) · weight + bias` for each of `rows` rows
    /// of `cols` floats (biased variance, two passes, Float accumulation as in PyTorch's float32
    /// layer norm). `out` may equal `input`.
    public static func forward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, rows: Int, cols: Int,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float) {
        for t in 0..<rows {
            let x = input + t * cols
            let y = out + t * cols
            var sumV = Vec16()
            var i = 0
            while i < cols {
                sumV += loadVec(x + i, count: min(16, cols - i))
                i += 16
            }
            let mean = sumV.sum() / Float(cols)
            let meanV = Vec16(repeating: mean)
            var varV = Vec16()
            i = 0
            while i < cols {
                let m = min(16, cols - i)
                var d = loadVec(x + i, count: m) - meanV
                if m < 16 { d = d.replacing(with: 0, where: tailMask(m)) }
                varV = varV.addingProduct(d, d)
                i += 16
            }
            let rstd = 1 / (varV.sum() / Float(cols) + epsilon).squareRoot()
            let rstdV = Vec16(repeating: rstd)
            i = 0
            while i < cols {
                let m = min(16, cols - i)
                let norm = (loadVec(x + i, count: m) - meanV) * rstdV
                storeVec(loadVec(bias + i, count: m).addingProduct(norm, loadVec(weight + i, count: m)), y + i, count: m)
                i += 16
            }
        }
    }
}

/// True for lanes at or beyond `valid`.
@inline(__always)
func tailMask(_ valid: Int) -> SIMDMask<SIMD16<Int32>> {
    SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) .>= Int32(valid)
}
