import Foundation
import Kernels

/// One head's exact attention summed per (query row, key block) for one key block size Bk:
/// what the tile metrics of *any* mask with that Bk need, so that scoring a mask costs
/// O(T·Nk) instead of O(T²) (Protocol/README.md §11, tile metrics and `seedKL`). A sweep builds
/// it once per (layer, head, Bk) and scores every point of that Bk from it.
///
/// The results equal `TileRowMetrics`' per-key loops up to the order of summation (blocks are
/// summed first, then added in block order): ~1e-16 relative. Where the shortcut for `seedKL`
/// would not be exact — a kept block holding an entry A in (0, ε) with A / c > ε, or an entry
/// A ≥ ε with A / c < ε (c the row's kept mass, above 1 only by rounding) — the per-key loop is
/// run for that row, so the values stay those of §11.
/// Value type; build and read on one thread.
public struct TileRowSums: Sendable {
    public let tokens: Int
    public let keyBlockSize: Int
    /// Nk = ⌈T / Bk⌉.
    public let keyBlocks: Int
    /// The clamp ε of `seedKL`.
    public let epsilon: Double
    /// (T, Nk): Σ_{k∈j, k≤q} A[q,k] (0 for invisible blocks).
    private var mass: [Double]
    /// (T, Nk): Σ_{k∈j, k≤q, A ≥ ε} A.
    private var massAtLeastEpsilon: [Double]
    /// (T, Nk): Σ_{k∈j, k≤q, A > ε} A (ln A − ln ε): a pruned block's part of `seedKL`.
    private var prunedSeedTerms: [Double]
    /// (T, Nk): the largest entry in (0, ε), 0 when none.
    private var largestBelowEpsilon: [Double]
    /// (T, Nk): the smallest entry ≥ ε, +∞ when none.
    private var smallestAtLeastEpsilon: [Double]

    /// Sums one head's exact attention `A` (T, T), row-major, causal.
    /// - Precondition: `attention.count == tokens²`, `keyBlockSize ≥ 1`, `epsilon > 0`.
    public init(attention: UnsafeBufferPointer<Float>, tokens t: Int, keyBlockSize: Int, epsilon: Double) {
        self = Self.make(attention: attention, tokens: t, keyBlockSizes: [keyBlockSize], epsilon: epsilon)[0]
    }

    /// Empty sums (all zero, no entry ≥ ε) for `make` to fill.
    private init(tokens t: Int, keyBlockSize: Int, epsilon: Double) {
        tokens = t
        self.keyBlockSize = keyBlockSize
        keyBlocks = (t + keyBlockSize - 1) / keyBlockSize
        self.epsilon = epsilon
        mass = [Double](repeating: 0, count: t * keyBlocks)
        massAtLeastEpsilon = mass
        prunedSeedTerms = mass
        largestBelowEpsilon = mass
        smallestAtLeastEpsilon = [Double](repeating: .infinity, count: t * keyBlocks)
    }

    /// The sums of one head's attention for several key block sizes, reading the attention and
    /// taking each entry's logarithm once (a sweep's block sizes share them).
    /// - Parameter seedTerms: false skips the logarithms: `keptMass` and the block counts are
    ///   exact, `seedKL` must not be read (a calibration needs the kept mass only).
    /// - Precondition: `attention.count == tokens²`, every size ≥ 1, `epsilon > 0`.
    public static func make(attention: UnsafeBufferPointer<Float>, tokens t: Int, keyBlockSizes: [Int],
                            epsilon: Double, seedTerms withSeedTerms: Bool = true) -> [TileRowSums] {
        precondition(attention.count == t * t, "attention holds \(attention.count) floats, expected T·T = \(t * t)")
        precondition(keyBlockSizes.allSatisfy { $0 >= 1 } && epsilon > 0)
        var sums = keyBlockSizes.map { TileRowSums(tokens: t, keyBlockSize: $0, epsilon: epsilon) }
        let lnEps = log(epsilon)
        var seedTerms = [Double](repeating: 0, count: t)   // (T): row q's A (ln A − ln ε), 0 for A ≤ ε
        for q in 0..<t {
            let row = q * t
            if withSeedTerms {
                for k in 0...q {
                    let p = Double(attention[row + k])
                    seedTerms[k] = p > epsilon ? p * (log(p) - lnEps) : 0
                }
            }
            for s in sums.indices {
                sums[s].addRow(q, attention: attention, seedTerms: seedTerms)
            }
        }
        return sums
    }

    /// Fills row q's block sums from the attention row and its per-key seed terms.
    private mutating func addRow(_ q: Int, attention: UnsafeBufferPointer<Float>, seedTerms: [Double]) {
        let row = q * tokens, nk = keyBlocks
        var j = 0, blockStart = 0
        while blockStart <= q {
            let end = min(blockStart + keyBlockSize, q + 1)
            var m = 0.0, big = 0.0, seed = 0.0, largestSmall = 0.0, smallestBig = Double.infinity
            for k in blockStart..<end {
                let p = Double(attention[row + k])
                m += p
                if p >= epsilon {
                    big += p
                    smallestBig = min(smallestBig, p)
                    seed += seedTerms[k]
                } else {
                    largestSmall = max(largestSmall, p)
                }
            }
            mass[q * nk + j] = m
            massAtLeastEpsilon[q * nk + j] = big
            prunedSeedTerms[q * nk + j] = seed
            largestBelowEpsilon[q * nk + j] = largestSmall
            smallestAtLeastEpsilon[q * nk + j] = smallestBig
            j += 1
            blockStart += keyBlockSize
        }
    }

    /// `TileRowMetrics.keptMass`: row q's kept mass under `mask` (1 when it falls back to dense
    /// or its row sum is 0).
    /// - Precondition: `mask.geometry` has this T and Bk.
    public func keptMass(_ mask: TileMask, query q: Int) -> Double {
        if mask.fallsBack(query: q) { return 1 }
        let i = mask.geometry.queryBlock(of: q), base = q * keyBlocks
        var kept = 0.0, total = 0.0
        for j in 0..<(q / keyBlockSize + 1) {
            total += mass[base + j]
            if mask.isKept(queryBlock: i, keyBlock: j) { kept += mass[base + j] }
        }
        return total > 0 ? kept / total : 1
    }

    /// `TileRowMetrics.seedKL` of the pure mask for row q, nats.
    /// - Parameter attention: the same head's attention (for the rows the shortcut cannot take).
    public func seedKL(pure: TileMask, attention: UnsafeBufferPointer<Float>, query q: Int) -> Double {
        let i = pure.geometry.queryBlock(of: q), base = q * keyBlocks, visible = q / keyBlockSize + 1
        var z = 0.0
        for j in 0..<visible where pure.isKept(queryBlock: i, keyBlock: j) { z += mass[base + j] }
        let c = max(z, epsilon)
        var pruned = 0.0, keptBig = 0.0
        for j in 0..<visible {
            if pure.isKept(queryBlock: i, keyBlock: j) {
                // Kept entries A < ε add nothing while A / c ≤ ε (then Q' = P' = ε), and entries
                // A ≥ ε add A ln c while A / c ≥ ε (division is monotonic, so the block's extremes
                // decide); otherwise the per-key definition decides the row.
                if largestBelowEpsilon[base + j] / c > epsilon || smallestAtLeastEpsilon[base + j] / c < epsilon {
                    return TileRowMetrics.seedKL(pure: pure, attention: attention, query: q, epsilon: epsilon)
                }
                keptBig += massAtLeastEpsilon[base + j]
            } else {
                pruned += prunedSeedTerms[base + j]
            }
        }
        // Kept keys with A ≥ ε: A (ln A − ln(A / c)) = A ln c (0 when c = 1, as the definition
        // skips P' = Q'); pruned keys: A (ln A − ln ε) for A > ε; every other key adds nothing.
        return max(0, pruned + keptBig * log(c))
    }

    /// Visible key blocks of row q that `mask` keeps (all of them when the row falls back).
    public func keptBlocks(_ mask: TileMask, query q: Int) -> Int {
        let visible = q / keyBlockSize + 1
        if mask.fallsBack(query: q) { return visible }
        let i = mask.geometry.queryBlock(of: q)
        var n = 0
        for j in 0..<visible where mask.isKept(queryBlock: i, keyBlock: j) { n += 1 }
        return n
    }

    /// Visible key blocks of row q that `mask` keeps, without the dense fallback.
    public func keptBlocksWithoutFallback(_ mask: TileMask, query q: Int) -> Int {
        let i = mask.geometry.queryBlock(of: q)
        var n = 0
        for j in 0..<(q / keyBlockSize + 1) where mask.isKept(queryBlock: i, keyBlock: j) { n += 1 }
        return n
    }
}
