import Foundation

/// How far a threshold-rule point (no keep policy) may move when the attention `A` it is fed
/// differs entrywise by at most `δ` from HF's attention `A_hf`, if decisions flip only for
/// blocks whose HF max `M` is within `1e-4` relative of `τ` ("near" blocks); computed from `A_hf`.
///
/// Per row q (`nb` visible blocks, `c` clearly pruned, `n` near, `Z` = row sum, `e = (q+1)·δ`):
/// - pruned blocks: any `c + x`, `x ∈ 0...n`, except that `c + x = nb` falls back to dense
///   (0 pruned, one fully pruned row) → an interval; seed (pure rule, no fallback): `[c, c + n]`.
/// - prunedMass `pm`: with `n = 0`, exactly 0 on both sides when nothing is pruned or the row
///   falls back, else `|Δpm| ≤ 2e / (Z − e)` (pruned sum and `Z` each move by ≤ `e`); with
///   `n > 0`, both lie in `[0, U]`, `U = (clear-pruned + near mass + e) / (Z − e)`.
/// - attentionKL `= −ln(1 − pm)`: with `n = 0`, `|Δ| ≤ b / (m − b)` (`b` the pm bound, `m = 1 − pm`);
///   with `n > 0`, both lie in `[0, −ln m_min]`, `m_min` the smallest kept mass any outcome can have.
/// - seedKL: each term's derivative is at most `D = ln(1/eps) + |ln c_min| + 1` (`c_min`: smallest
///   kept sum, at least eps), and moving a near block of mass `F` between kept and pruned changes
///   the row by at most `F·D`; so `|Δ| ≤ e·D` (`n = 0`) or `(near mass + 2e)·D`.
/// Layer bounds are row bounds summed over heads and queries divided by `H·T`; the overall
/// bound is the mean of the layer bounds.
struct ThresholdFlipBounds {
    struct Layer {
        var prunedBlocks: ClosedRange<Int> = 0...0
        var seedPrunedBlocks: ClosedRange<Int> = 0...0
        var fullyPrunedRows: ClosedRange<Int> = 0...0
        var nearDecisions = 0
        var prunedMass = 0.0
        var attentionKL = 0.0
        var seedKL = 0.0
    }

    static let near = 1e-4
    var layers: [Layer] = []

    /// - Parameters: attention `(L, H, T, T)` from HF; `delta` the largest entrywise difference.
    init(attention: [Float], layers l: Int, heads h: Int, tokens t: Int, blockSize b: Int, tau: Double,
         delta: Double, seedEpsilon eps: Double) {
        for layer in 0..<l {
            var out = Layer()
            var lo = 0, hi = 0, seedHi = 0, seedLo = 0, fullyLo = 0, fullyHi = 0
            var pm = 0.0, akl = 0.0, skl = 0.0
            for head in 0..<h {
                for q in 0..<t {
                    let row = ((layer * h + head) * t + q) * t
                    let nb = q / b + 1
                    var c = 0, n = 0
                    var z = 0.0, clearPruned = 0.0, nearMass = 0.0, clearKept = 0.0
                    var smallestNear = Double.infinity
                    for j in 0..<nb {
                        var m: Float = 0
                        var mass = 0.0
                        for k in (j * b)..<min(j * b + b, q + 1) {
                            m = max(m, attention[row + k])
                            mass += Double(attention[row + k])
                        }
                        z += mass
                        if abs(Double(m) - tau) <= Self.near * tau {
                            n += 1
                            nearMass += mass
                            smallestNear = min(smallestNear, mass)
                        } else if Double(m) < tau {
                            c += 1
                            clearPruned += mass
                        } else {
                            clearKept += mass
                        }
                    }
                    out.nearDecisions += n
                    let outcomes = (0...n).map { c + $0 == nb ? 0 : c + $0 }
                    lo += outcomes.min()!
                    hi += outcomes.max()!
                    seedLo += c
                    seedHi += c + n
                    fullyLo += c == nb ? 1 : 0
                    fullyHi += c + n == nb ? 1 : 0
                    let e = Double(q + 1) * delta
                    if n == 0 {
                        if c > 0 && c < nb {
                            let bound = 2 * e / (z - e)
                            pm += bound
                            akl += bound / ((z - clearPruned) / z - bound)
                        }
                    } else {
                        pm += (clearPruned + nearMass + e) / (z - e)
                        let minKept = (clearKept > 0 ? clearKept : smallestNear) - e
                        akl += -log(max(minKept, .leastNormalMagnitude) / (z + e))
                    }
                    let cMin = max(clearKept - e, eps)
                    let d = log(1 / eps) + abs(log(cMin)) + 1
                    skl += (n == 0 ? e : nearMass + 2 * e) * d
                }
            }
            out.prunedBlocks = lo...hi
            out.seedPrunedBlocks = seedLo...seedHi
            out.fullyPrunedRows = fullyLo...fullyHi
            let rows = Double(h * t)
            out.prunedMass = pm / rows
            out.attentionKL = akl / rows
            out.seedKL = skl / rows
            layers.append(out)
        }
    }

    /// Mean over layers of a layer bound (the overall metric is the mean of the layer metrics).
    func overall(_ f: (Layer) -> Double) -> Double { layers.reduce(0) { $0 + f($1) } / Double(layers.count) }
}
