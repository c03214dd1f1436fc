/// C (rows, NR) (+)= A (rows, kc) · B (kc, NR) for the partial last row panel (rows < MR):
/// up to four rows at a time straight from strided A, so a 2-row remainder (T = 1024 = 73·14 + 2)
/// costs 2 rows of work, not a padded 14.

/// Rows one call of `fewRowsKernel` handles at most.
let gemmFewRows = 4

/// C (rows, cols) (+)= A (rows, kc) · B panel (kc, NR) for `rows` in 1...MR−1 and `cols` ≤ NR.
///
/// - Parameters:
///   - a: row `r` of A at `a + r * lda` (its first `kc` floats are used).
///   - b: one packed B panel (`b[kk * NR + j]`, zero-padded past the matrix's columns).
///   - c: row `r` of C at `c + r * ldc`; only `cols` columns are read and written.
///   - accumulate: add to C (true) or overwrite it.
@inline(__always)
func microTileFewRows(kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                      c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool) {
    var r0 = 0
    while r0 < rows {
        fewRowsKernel(kc: kc, a: a + r0 * lda, lda: lda, b: b, c: c + r0 * ldc, ldc: ldc,
                      rows: min(gemmFewRows, rows - r0), cols: cols, accumulate: accumulate)
        r0 += gemmFewRows
    }
}

/// One to four rows: eight accumulators (4 rows × two `SIMD16<Float>`), every product an FMA.
/// Missing rows read row 0 of A and are not stored.
@inline(__always)
private func fewRowsKernel(kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                           c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool) {
    let a0 = a, a1 = rows > 1 ? a + lda : a, a2 = rows > 2 ? a + 2 * lda : a, a3 = rows > 3 ? a + 3 * lda : a
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
    let br = UnsafeRawPointer(b)
    for kk in 0..<kc {
        let b0 = br.loadUnaligned(fromByteOffset: kk * gemmNR * 4, as: SIMD16<Float>.self)
        let b1 = br.loadUnaligned(fromByteOffset: kk * gemmNR * 4 + 64, as: SIMD16<Float>.self)
        let x0 = SIMD16<Float>(repeating: a0[kk]), x1 = SIMD16<Float>(repeating: a1[kk])
        let x2 = SIMD16<Float>(repeating: a2[kk]), x3 = SIMD16<Float>(repeating: a3[kk])
        c00 = c00.addingProduct(x0, b0); c01 = c01.addingProduct(x0, b1)
        c10 = c10.addingProduct(x1, b0); c11 = c11.addingProduct(x1, b1)
        c20 = c20.addingProduct(x2, b0); c21 = c21.addingProduct(x2, b1)
        c30 = c30.addingProduct(x3, b0); c31 = c31.addingProduct(x3, b1)
    }
    let sums = [(c00, c01), (c10, c11), (c20, c21), (c30, c31)]
    for r in 0..<rows {
        let row = c + r * ldc
        withUnsafeTemporaryAllocation(of: Float.self, capacity: gemmNR) { tile in
            guard let t = tile.baseAddress else { return }
            UnsafeMutableRawPointer(t).storeBytes(of: sums[r].0, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(t).storeBytes(of: sums[r].1, toByteOffset: 64, as: SIMD16<Float>.self)
            if accumulate {
                for j in 0..<cols { row[j] += t[j] }
            } else {
                row.update(from: t, count: cols)
            }
        }
    }
}
