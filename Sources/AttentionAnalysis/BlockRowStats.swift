import Foundation

/// Per-block statistics of one attention row at one block size, over the row's visible keys
/// `0...q` (entries above the diagonal are zero by contract and are not read).
///
/// The sweep computes these once per (head, query, block size) and then evaluates every rule
/// value on them, instead of revisiting the row's entries for each point.
/// - Important: not thread-safe; each worker thread owns its own instances.
final class BlockRowStats {
    /// Capacity in blocks (`ceil(T / B)`).
    let capacity: Int
    /// Visible blocks of the current row (`q / B + 1`).
    var count = 0
    /// Row mass over visible keys, Σ of `mass` in block order (Float64).
    var rowMass = 0.0
    /// `M[q, j]`: largest weight in block `j`.
    let maximum: UnsafeMutablePointer<Float>
    /// Σ `A[q, k]` over the block's visible keys (Float64).
    let mass: UnsafeMutablePointer<Double>
    /// Σ `A[q, k]` over the block's keys with `A ≥ eps` (the `seedKL` clamp).
    let massAboveEps: UnsafeMutablePointer<Double>
    /// Σ `A ln(A / eps)` over the block's keys with `A ≥ eps`: the block's `seedKL` term when pruned.
    let seedPrunedTerm: UnsafeMutablePointer<Double>
    /// Block indices by descending mass, ties lower index first (coverage and top-k only).
    let order: UnsafeMutablePointer<Int32>
    /// Inverse of `order`: `rank[order[i]] = i`.
    let rank: UnsafeMutablePointer<Int32>
    /// `−rank[j]` as a Float: a ranked rule keeping `n` blocks prunes `j` iff `negatedRank[j] < 0.5 − n`.
    let negatedRank: UnsafeMutablePointer<Float>
    /// Σ of `massAboveEps` over the visible blocks.
    var rowMassAboveEps = 0.0

    /// Keys per row (`T`): sizes the per-key scratch of widths that are not a multiple of 8.
    let rowCapacity: Int
    /// Per-key `A ln(A/eps)` (0 below eps) and `A` (0 below eps), filled only for narrow widths.
    private var keyTerm: UnsafeMutablePointer<Double>?
    private var keyAbove: UnsafeMutablePointer<Double>?

    init(capacity: Int, rowCapacity: Int) {
        self.capacity = max(capacity, 1)
        self.rowCapacity = max(rowCapacity, 1)
        maximum = .allocate(capacity: self.capacity)
        mass = .allocate(capacity: self.capacity)
        massAboveEps = .allocate(capacity: self.capacity)
        seedPrunedTerm = .allocate(capacity: self.capacity)
        order = .allocate(capacity: self.capacity)
        rank = .allocate(capacity: self.capacity)
        negatedRank = .allocate(capacity: self.capacity)
    }

    deinit {
        maximum.deallocate(); mass.deallocate(); massAboveEps.deallocate()
        seedPrunedTerm.deallocate(); order.deallocate(); rank.deallocate(); negatedRank.deallocate()
        keyTerm?.deallocate(); keyAbove?.deallocate()
    }

    /// Fills the statistics of the visible keys `row[0..<visibleKeys]` cut into pieces of
    /// `width` keys (the last one partial), reading every entry once.
    ///
    /// - Returns: true when some entry lies in `(0, lowCut)`: the row may need the exact
    ///   `seedKL` correction for entries near `eps` (see `RowAnalyzer.correctSeedBand`).
    @discardableResult
    func fill(row: UnsafePointer<Float>, visibleKeys n: Int, width: Int, eps: Double, lnEps: Double,
              lowCut: Double) -> Bool {
        width % 8 == 0
            ? fillWide(row: row, visibleKeys: n, width: width, eps: eps, lnEps: lnEps, lowCut: lowCut)
            : fillNarrow(row: row, visibleKeys: n, width: width, eps: eps, lnEps: lnEps, lowCut: lowCut)
    }

    /// `width` a multiple of 8: each piece is whole 8-lane chunks (plus the row's tail).
    private func fillWide(row: UnsafePointer<Float>, visibleKeys n: Int, width: Int, eps: Double, lnEps: Double,
                          lowCut: Double) -> Bool {
        count = (n + width - 1) / width
        var low = false
        for i in 0..<count {
            let start = i * width
            let end = min(start + width, n)
            var k = start
            var mx8 = SIMD8<Float>(repeating: 0)
            var sum8 = SIMD8<Double>(repeating: 0)
            var above8 = SIMD8<Double>(repeating: 0)
            var term8 = SIMD8<Double>(repeating: 0)
            var low8 = SIMDMask<SIMD8<Int64>>(repeating: false)
            while k + 8 <= end {
                let f = UnsafeRawPointer(row + k).loadUnaligned(as: SIMD8<Float>.self)
                mx8 = laneMax(mx8, f)
                let p = SIMD8<Double>(f)
                sum8 += p
                // Inlined by hand: the compiler keeps a call for a helper returning two vectors.
                let isAbove = p .>= eps
                let pAbove = SIMD8<Double>(repeating: 0).replacing(with: p, where: isAbove)
                above8 += pAbove
                term8 += pAbove * (vectorLog(p.replacing(with: eps, where: .!isAbove)) - lnEps)
                low8 .|= (p .> 0) .& (p .< lowCut)
                k += 8
            }
            var mx = largestLane(mx8)
            var sum = laneSum(sum8)
            var above = laneSum(above8)
            var term = laneSum(term8)
            low = low || any(low8)
            while k < end {
                let f = row[k]
                mx = Swift.max(mx, f)
                let p = Double(f)
                sum += p
                if p >= eps {
                    above += p
                    term += p * (log(p) - lnEps)
                }
                if p > 0 && p < lowCut { low = true }
                k += 1
            }
            setBlock(i, maximum: mx, mass: sum, massAboveEps: above, seedPrunedTerm: term)
        }
        sumRow()
        return low
    }

    /// Other widths: the per-key terms (the logarithms) are computed 8 keys at a time into
    /// scratch first, then summed per piece.
    private func fillNarrow(row: UnsafePointer<Float>, visibleKeys n: Int, width: Int, eps: Double, lnEps: Double,
                            lowCut: Double) -> Bool {
        let keyTerm = self.keyTerm ?? .allocate(capacity: rowCapacity)
        let keyAbove = self.keyAbove ?? .allocate(capacity: rowCapacity)
        self.keyTerm = keyTerm
        self.keyAbove = keyAbove
        var low = false
        var k = 0
        var low8 = SIMDMask<SIMD8<Int64>>(repeating: false)
        while k + 8 <= n {
            let p = SIMD8<Double>(UnsafeRawPointer(row + k).loadUnaligned(as: SIMD8<Float>.self))
            let terms = seedTerms(p, eps: eps, lnEps: lnEps)
            UnsafeMutableRawPointer(keyAbove + k).storeBytes(of: terms.above, as: SIMD8<Double>.self)
            UnsafeMutableRawPointer(keyTerm + k).storeBytes(of: terms.term, as: SIMD8<Double>.self)
            low8 .|= (p .> 0) .& (p .< lowCut)
            k += 8
        }
        low = any(low8)
        while k < n {
            let p = Double(row[k])
            keyAbove[k] = p >= eps ? p : 0
            keyTerm[k] = p >= eps ? p * (log(p) - lnEps) : 0
            if p > 0 && p < lowCut { low = true }
            k += 1
        }
        count = (n + width - 1) / width
        for i in 0..<count {
            var mx: Float = 0
            var sum = 0.0, above = 0.0, term = 0.0
            for key in (i * width)..<min(i * width + width, n) {
                mx = Swift.max(mx, row[key])
                sum += Double(row[key])
                above += keyAbove[key]
                term += keyTerm[key]
            }
            setBlock(i, maximum: mx, mass: sum, massAboveEps: above, seedPrunedTerm: term)
        }
        sumRow()
        return low
    }

    /// Fills block statistics of size `factor · width` from finer `pieces` of size `width`.
    func combine(_ pieces: BlockRowStats, factor: Int) {
        count = (pieces.count + factor - 1) / factor
        for j in 0..<count {
            let start = j * factor
            let end = min(start + factor, pieces.count)
            var mx = pieces.maximum[start]
            var sum = pieces.mass[start]
            var above = pieces.massAboveEps[start]
            var term = pieces.seedPrunedTerm[start]
            var i = start + 1
            while i < end {
                mx = Swift.max(mx, pieces.maximum[i])
                sum += pieces.mass[i]
                above += pieces.massAboveEps[i]
                term += pieces.seedPrunedTerm[i]
                i += 1
            }
            setBlock(j, maximum: mx, mass: sum, massAboveEps: above, seedPrunedTerm: term)
        }
        sumRow()
    }

    @inline(__always)
    private func setBlock(_ j: Int, maximum mx: Float, mass sum: Double, massAboveEps above: Double,
                          seedPrunedTerm term: Double) {
        maximum[j] = mx
        mass[j] = sum
        massAboveEps[j] = above
        seedPrunedTerm[j] = term
    }

    /// `rowMass` and `rowMassAboveEps` from the filled blocks, in block order.
    @inline(__always)
    private func sumRow() {
        var total = 0.0, totalAbove = 0.0
        for j in 0..<count {
            total += mass[j]
            totalAbove += massAboveEps[j]
        }
        rowMass = total
        rowMassAboveEps = totalAbove
    }

    /// Sorts visible blocks by descending mass (ties: lower index first) into `order`/`rank`.
    func rankByMass() {
        let n = count
        for j in 0..<n { order[j] = Int32(j) }
        let mass = self.mass
        var sorted = UnsafeMutableBufferPointer(start: order, count: n)
        sorted.sort { a, b in
            let ma = mass[Int(a)], mb = mass[Int(b)]
            return ma > mb || (ma == mb && a < b)
        }
        for i in 0..<n {
            rank[Int(order[i])] = Int32(i)
            negatedRank[Int(order[i])] = -Float(i)
        }
    }

    /// Blocks a coverage rule keeps: the fewest, by descending mass, whose running sum reaches
    /// `fraction` of the row's mass (that mass summed in the same descending order, so
    /// `fraction = 1` stops exactly at the last block with positive mass).
    /// - Precondition: `rankByMass()` was called for this row.
    func coverageCount(fraction: Double) -> Int {
        var total = 0.0
        for i in 0..<count { total += mass[Int(order[i])] }
        let target = fraction * total
        var kept = 0
        var running = 0.0
        while kept < count && running < target {
            running += mass[Int(order[kept])]
            kept += 1
        }
        return kept
    }
}

/// Per key: `A` and `A ln(A / eps)` where `A ≥ eps`, 0 elsewhere (the `seedKL` block terms).
@inline(__always)
func seedTerms(_ p: SIMD8<Double>, eps: Double, lnEps: Double) -> (above: SIMD8<Double>, term: SIMD8<Double>) {
    let isAbove = p .>= eps
    let above = SIMD8<Double>(repeating: 0).replacing(with: p, where: isAbove)
    let lnP = vectorLog(p.replacing(with: eps, where: .!isAbove))
    return (above, above * (lnP - lnEps))
}

/// Σ `row[start..<end]` in Float64: eight lanes from `start` summed by halves, then the tail
/// in order (the intervention's block masses; one fixed order, so equal rows give equal sums).
@inline(__always)
func blockMass(_ row: UnsafePointer<Float>, from start: Int, to end: Int) -> Double {
    var k = start
    var sum8 = SIMD8<Double>(repeating: 0)
    while k + 8 <= end {
        sum8 += loadEightAsDouble(row + k)
        k += 8
    }
    var sum = laneSum(sum8)
    while k < end {
        sum += Double(row[k])
        k += 1
    }
    return sum
}
