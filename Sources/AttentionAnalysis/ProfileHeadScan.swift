import Foundation

/// One head's `profileAttention` fields (Protocol/README.md §11) and, given the input's token
/// ids, its head-role text scores, from ONE pass over each row's visible entries.
///
/// Per row `q` (visible keys `0...q`), sixteen entries at a time: the count below the entry
/// threshold, `Σ p ln p` (Float32 logarithm, summed in Float64), the row's mass (Float64) and the
/// largest weight and mass of every piece of `granule` keys (16, 8 or 4: the largest of those
/// that divides the block size), folded into blocks afterwards. Block sizes that are not a
/// multiple of 4 take the blocks' maxima and masses in a scalar loop instead. The rest of a
/// row's work is on its blocks (block fractions, `CoverageSelector`) or on a few entries (sink,
/// previous token, the local and streaming windows).
///
/// Entries above the diagonal are never read (the last piece of a row is copied and padded with
/// zeros), so they need not be zero.
///
/// - Important: not thread-safe; each worker thread owns its own instance.
final class ProfileHeadScanner {
    let tokens: Int
    let blockSize: Int
    /// Keys per granule: 16, 8 or 4 (dividing `blockSize`), or 0 for the scalar block path.
    let granule: Int
    /// `ceil(T / granule)` rounded up to whole 16-key chunks, or `ceil(T / B)` on the scalar path.
    private let granuleCapacity: Int
    /// Per granule of the current row: largest weight and mass (Float64).
    private let granuleMaxima: UnsafeMutablePointer<Float>
    private let granuleMasses: UnsafeMutablePointer<Double>
    /// Per block of the current row (the granule buffers themselves when `granule == blockSize`).
    private let blockMaxima: UnsafeMutablePointer<Float>
    private let blockMasses: UnsafeMutablePointer<Double>
    private let ownsBlocks: Bool
    /// A row's last, partial 16-key chunk, zero-padded.
    private let tail: UnsafeMutablePointer<Float>
    private let coverage: CoverageSelector

    init(tokens: Int, blockSize: Int) {
        self.tokens = tokens
        self.blockSize = blockSize
        granule = [16, 8, 4].first { blockSize % $0 == 0 } ?? 0
        let blocks = (tokens + blockSize - 1) / blockSize
        let chunks = (tokens + 15) / 16
        granuleCapacity = granule > 0 ? chunks * (16 / granule) : blocks
        granuleMaxima = .allocate(capacity: granuleCapacity)
        granuleMasses = .allocate(capacity: granuleCapacity)
        ownsBlocks = granule > 0 && granule != blockSize
        blockMaxima = ownsBlocks ? .allocate(capacity: blocks) : granuleMaxima
        blockMasses = ownsBlocks ? .allocate(capacity: blocks) : granuleMasses
        tail = .allocate(capacity: 16)
        coverage = CoverageSelector(capacity: blocks)
    }

    deinit {
        granuleMaxima.deallocate(); granuleMasses.deallocate(); tail.deallocate()
        if ownsBlocks { blockMaxima.deallocate(); blockMasses.deallocate() }
    }

    /// What one head's scan found.
    struct Outcome {
        var profile: ProfileHead
        /// With `pairs` only.
        var scores: HeadTextScores?
        /// False when some visible entry is NaN or infinite (then the numbers are meaningless).
        var finite: Bool
    }

    /// Scans head `head`'s attention `(T, T)` at `a` (row `q` at `a + q·T`).
    /// - Parameter pairs: the input's duplicate-token pattern; with it the role scores too.
    /// - Parameter rowEntropy: `(T)` each row's entropy as the softmax computed it; nil: from the
    ///   probabilities (a Float32 logarithm per entry).
    func scan(_ a: UnsafePointer<Float>, head: Int, options: ProfileOptions, pairs: DuplicatePairs?,
              rowEntropy: UnsafePointer<Float>? = nil) -> Outcome {
        let t = tokens, b = blockSize
        let entryCut = SIMD16<Float>(repeating: floatCut(options.entryThreshold))
        let blockCuts = options.thresholds.map(floatCut)
        let roles = options.roles
        var below = 0, plogp = 0.0, sink = 0.0, local = 0.0, finite = true
        var blocksBelow = [Int](repeating: 0, count: blockCuts.count)
        var covered = (0, 0, 0)
        var localWindow = 0.0, previous = 0.0, streaming = 0.0, total = 0.0
        coverage.resetHint()
        for q in 0..<t {
            let row = a + q * t
            let n = q + 1
            let pass = scanRow(row, visibleKeys: n, entryCut: entryCut, withLogarithms: rowEntropy == nil)
            below += pass.below
            let rowPlogp = rowEntropy.map { -Double($0[q]) } ?? pass.plogp
            guard pass.mass.isFinite, rowPlogp.isFinite else { finite = false; continue }
            plogp += rowPlogp
            let count = (n + b - 1) / b
            if ownsBlocks { foldGranules(into: count, granules: (n + granule - 1) / granule) }
            sink += Double(row[0])
            local += blockMasses[count - 1]
            for (i, cut) in blockCuts.enumerated() { blocksBelow[i] += countBelow(blockMaxima, count: count, cut) }
            let c = coverage.counts(mass: blockMasses, blocks: count, total: pass.mass)
            covered.0 += c.0; covered.1 += c.1; covered.2 += c.2
            guard pairs != nil else { continue }
            total += pass.mass
            localWindow += blockMass(row, from: max(0, q - roles.localWindow + 1), to: n)
            if q >= 1 { previous += Double(row[q - 1]) }
            let sinkEnd = min(roles.streamingSinkTokens, n)                 // keys 0..<sinkEnd
            let localStart = max(sinkEnd, q - roles.streamingWindow + 1)    // keys localStart...q
            if localStart > sinkEnd && pass.mass > 0 {
                let kept = blockMass(row, from: 0, to: sinkEnd) + blockMass(row, from: localStart, to: n)
                streaming += min(1, kept / pass.mass)
            } else {
                streaming += 1                                              // nothing dropped
            }
        }
        let geometry = BlockGeometry(checkedTokens: t, blockSize: b)
        let visiblePairs = Double(geometry.visiblePairs), allPairs = Double(geometry.allPairs)
        let rows = Double(t)
        let visibleEntries = t * (t + 1) / 2
        var profile = ProfileHead(
            head: head,
            entrySparsity: Double(below) / Double(visibleEntries),
            // Future entries are 0, below any threshold in (0, 1].
            entrySparsitySeed: Double(below + (t * t - visibleEntries)) / Double(t * t),
            entropy: -plogp / rows, sinkMass: sink / rows, localMass: local / rows,
            blocks: options.thresholds.enumerated().map { i, tau in
                ProfileBlockFraction(threshold: tau, fraction: Double(blocksBelow[i]) / visiblePairs,
                                     fractionSeed: (Double(blocksBelow[i]) + allPairs - visiblePairs) / allPairs)
            },
            coverage: CoverageCounts(p90: Double(covered.0) / rows, p95: Double(covered.1) / rows,
                                     p99: Double(covered.2) / rows))
        var scores: HeadTextScores?
        if !finite { profile.entropy = .nan }   // never reported as a number: the result check refuses it
        if let pairs {
            var duplicate = 0.0
            for offset in pairs.offsets { duplicate += Double(a[offset]) }
            let ratio = { (hit: Double) in total > 0 ? hit / total : 0 }
            scores = HeadTextScores(sinkScore: sink / rows, localScore: localWindow / rows,
                                    previousTokenScore: ratio(previous), duplicateTokenScore: ratio(duplicate),
                                    streamingMass: streaming / rows)
        }
        return Outcome(profile: profile, scores: scores, finite: finite)
    }

    /// The entry-level sums of one row, and its granules (when `granule > 0`) or blocks.
    /// Without `withLogarithms`, `plogp` is 0 (the caller has the rows' entropies).
    private func scanRow(_ row: UnsafePointer<Float>, visibleKeys n: Int, entryCut: SIMD16<Float>,
                         withLogarithms: Bool) -> (below: Int, plogp: Double, mass: Double) {
        let whole = n & ~15
        let entrySums = withLogarithms ? entrySumsWithLogarithms : entrySumsWithoutLogarithms
        var sums = entrySums(row, whole, entryCut)
        fillGranules(row, count: whole, from: 0)
        if whole < n {
            tail.initialize(repeating: 0, count: 16)
            tail.update(from: row + whole, count: n - whole)
            let last = entrySums(tail, 16, entryCut)
            // The padding's zeros are below the threshold and add nothing else.
            sums = (sums.below + last.below - (16 - (n - whole)), sums.plogp + last.plogp, sums.mass + last.mass)
            fillGranules(tail, count: 16, from: whole)
        }
        if granule == 0 { fillBlocksByKeys(row, visibleKeys: n) }
        return sums
    }

    /// Per granule of `keys[0..<count]` (`count` a multiple of 16): its largest weight and mass,
    /// stored from granule `from / granule` on.
    private func fillGranules(_ keys: UnsafePointer<Float>, count: Int, from first: Int) {
        guard granule > 0 else { return }
        let maxima = granuleMaxima + first / granule, masses = granuleMasses + first / granule
        var k = 0, g = 0
        switch granule {
        case 16:
            while k < count {
                let p = keys + k
                maxima[g] = largestLane(UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self))
                masses[g] = laneSum(loadEightAsDouble(p) + loadEightAsDouble(p + 8))
                k += 16; g += 1
            }
        case 8:
            while k < count {
                let p = keys + k
                maxima[g] = largestLane(UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self))
                masses[g] = laneSum(loadEightAsDouble(p))
                k += 8; g += 1
            }
        default:   // 4
            while k < count {
                let p = keys + k
                let x = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
                let pairs = laneMax(x.evenHalf, x.oddHalf)          // keys (0,1), (2,3), …, (14,15)
                let quads = pairs.evenHalf.replacing(with: pairs.oddHalf, where: pairs.oddHalf .> pairs.evenHalf)
                UnsafeMutableRawPointer(maxima + g).storeBytes(of: quads, as: SIMD4<Float>.self)
                let lo = loadEightAsDouble(p), hi = loadEightAsDouble(p + 8)
                let loPairs = lo.evenHalf + lo.oddHalf, hiPairs = hi.evenHalf + hi.oddHalf
                UnsafeMutableRawPointer(masses + g).storeBytes(of: loPairs.evenHalf + loPairs.oddHalf, as: SIMD2<Double>.self)
                UnsafeMutableRawPointer(masses + g + 2).storeBytes(of: hiPairs.evenHalf + hiPairs.oddHalf, as: SIMD2<Double>.self)
                k += 16; g += 4
            }
        }
    }

    /// Blocks from granules: block `j` is granules `j·f ..< (j+1)·f` (`f = B / granule`).
    private func foldGranules(into count: Int, granules: Int) {
        let f = blockSize / granule
        for j in 0..<count {
            let start = j * f, end = min(start + f, granules)
            var mx = granuleMaxima[start], sum = granuleMasses[start]
            var i = start + 1
            while i < end {
                mx = Swift.max(mx, granuleMaxima[i])
                sum += granuleMasses[i]
                i += 1
            }
            blockMaxima[j] = mx
            blockMasses[j] = sum
        }
    }

    /// Block sizes that are not a multiple of 4: each block's maximum and mass key by key.
    private func fillBlocksByKeys(_ row: UnsafePointer<Float>, visibleKeys n: Int) {
        let b = blockSize
        for j in 0..<((n + b - 1) / b) {
            var mx: Float = 0, sum = 0.0
            for key in (j * b)..<min(j * b + b, n) {
                mx = Swift.max(mx, row[key])
                sum += Double(row[key])
            }
            blockMaxima[j] = mx
            blockMasses[j] = sum
        }
    }
}

/// The smallest Float `f` with `Double(f) ≥ threshold`: `Double(x) < threshold ⇔ x < f` for
/// every Float `x`, so thresholds given as Doubles are compared exactly in Float lanes.
func floatCut(_ threshold: Double) -> Float {
    var f = Float(threshold)
    if Double(f) < threshold { f = f.nextUp }
    while Double(f.nextDown) >= threshold { f = f.nextDown }
    return f
}

/// How many of `values[0..<count]` are below `cut` (Float compare), sixteen at a time.
private func countBelow(_ values: UnsafePointer<Float>, count n: Int, _ cut: Float) -> Int {
    var count16 = SIMD16<Int32>(repeating: 0)
    let cut16 = SIMD16<Float>(repeating: cut)
    var k = 0
    while k + 16 <= n {
        let v = UnsafeRawPointer(values + k).loadUnaligned(as: SIMD16<Float>.self)
        count16 &+= SIMD16<Int32>(repeating: 0).replacing(with: 1, where: v .< cut16)
        k += 16
    }
    var count = Int(count16.wrappedSum())
    while k < n {
        count += values[k] < cut ? 1 : 0
        k += 1
    }
    return count
}

/// Over `keys[0..<count]` (`count` a multiple of 16): how many are below `entryCut`, `Σ p ln p`
/// (zeros add 0) and `Σ p` (Float64).
///
/// `p ln p` stays in Float32 lanes, summed with Kahan's compensation (error ~1 ulp of the row's
/// sum whatever its length) and widened once at the end: widening each term instead makes the
/// compiler take the logarithm apart into scalar code, 6× slower.
private func entrySumsWithLogarithms(_ keys: UnsafePointer<Float>, count: Int,
                                     entryCut: SIMD16<Float>) -> (below: Int, plogp: Double, mass: Double) {
    var below16 = SIMD16<Int32>(repeating: 0)
    var sum = SIMD16<Float>(repeating: 0), compensation = SIMD16<Float>(repeating: 0)
    var mass8 = SIMD8<Double>(repeating: 0)
    var k = 0
    while k < count {
        let p = keys + k
        let x = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
        below16 &+= SIMD16<Int32>(repeating: 0).replacing(with: 1, where: x .< entryCut)
        mass8 += loadEightAsDouble(p) + loadEightAsDouble(p + 8)
        let term = x * vectorLog(x.replacing(with: 1, where: x .== 0))
        let y = term - compensation
        let next = sum + y
        compensation = (next - sum) - y
        sum = next
        k += 16
    }
    var plogp = 0.0
    for lane in 0..<16 { plogp += Double(sum[lane]) - Double(compensation[lane]) }
    return (Int(below16.wrappedSum()), plogp, laneSum(mass8))
}

/// `entrySumsWithLogarithms` without `Σ p ln p` (returned as 0).
private func entrySumsWithoutLogarithms(_ keys: UnsafePointer<Float>, count: Int,
                                        entryCut: SIMD16<Float>) -> (below: Int, plogp: Double, mass: Double) {
    var below16 = SIMD16<Int32>(repeating: 0)
    var mass8 = SIMD8<Double>(repeating: 0)
    var k = 0
    while k < count {
        let p = keys + k
        let x = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
        below16 &+= SIMD16<Int32>(repeating: 0).replacing(with: 1, where: x .< entryCut)
        mass8 += loadEightAsDouble(p) + loadEightAsDouble(p + 8)
        k += 16
    }
    return (Int(below16.wrappedSum()), 0, laneSum(mass8))
}
