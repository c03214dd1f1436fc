/// How many key blocks a row needs, largest mass first, to hold 90%, 95% and 99% of its mass
/// (`profileAttention`'s `coverage`, Protocol/README.md §11), without sorting the row.
///
/// The count for a fraction `f` is the smallest `k` whose `k` largest block masses sum to at
/// least `f · total` (blocks of equal mass are interchangeable, so the order among ties does not
/// matter). Found by a quickselect that serves all three targets in one descent: each step
/// splits the values still in play around a pivot (median of three) into larger, equal and
/// smaller ones in one branch-free pass, sums the larger ones, and goes on only into the parts
/// that hold a target. Expected work is a few passes over the row's blocks instead of a sort
/// (`O(n)` against `O(n log n)`, and no mispredicted branches in the partition).
///
/// Blocks with mass below 0.5% of the row's mean block mass are dropped first: together they
/// hold under 0.5% of the row, so the 99% walk ends before reaching any of them.
///
/// Consecutive rows of a head look alike, so the mass at which the previous row reached 90%
/// (`hint90`) says where this row's targets lie: blocks above it (times 17/16) are summed in one
/// vector pass and, when they hold less than 90% of the row, taken as a whole (every target is
/// reached only after all of them), so the selection runs on the rest alone — on diffuse rows
/// about a tenth of the blocks. When they hold 90% or more the hint is ignored for that row.
/// The counts do not depend on the hint; only the work does.
///
/// - Important: not thread-safe; each worker thread owns its own instance.
final class CoverageSelector {
    /// Capacity in blocks.
    let capacity: Int
    /// The candidates, then one side of each partition.
    private let front: UnsafeMutablePointer<Double>
    /// The other side (partitions alternate between the two buffers).
    private let back: UnsafeMutablePointer<Double>

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        front = .allocate(capacity: self.capacity)
        back = .allocate(capacity: self.capacity)
    }

    deinit {
        front.deallocate()
        back.deallocate()
    }

    /// The mass of the block at which the previous row reached 90% (`.infinity`: none yet).
    private var hint90 = Double.infinity

    /// Rows whose selection the hint narrowed (tests: the fast path is taken).
    private(set) var rowsNarrowedByHint = 0

    /// Forgets the previous row (call at the start of each head).
    func resetHint() { hint90 = .infinity }

    /// The coverage counts `(p90, p95, p99)` of `blocks` masses at `mass` whose sum is `total`.
    /// - Precondition: `blocks ≤ capacity`; masses are finite and `≥ 0`.
    func counts(mass: UnsafePointer<Double>, blocks n: Int, total: Double) -> (Int, Int, Int) {
        guard n > 0, total > 0 else { return (0, 0, 0) }
        let cut = 0.005 * total / Double(n)
        var top = hint90 * (17.0 / 16.0)
        var above = (sum: 0.0, count: 0)
        if top.isFinite {
            above = sumAndCount(mass, count: n, above: top)
            if above.sum >= 0.9 * total { top = .infinity; above = (0, 0) } else { rowsNarrowedByHint &+= 1 }
        }
        var m = 0
        for j in 0..<n {
            let x = mass[j]
            front[m] = x
            m &+= Int(unsafeBitCast(x >= cut, to: UInt8.self) & unsafeBitCast(x <= top, to: UInt8.self))
        }
        var targets = (0.9 * total, 0.95 * total, 0.99 * total)
        var results = (0, 0, 0)
        var crossing = (Double.infinity, Double.infinity, Double.infinity)
        withUnsafeMutableBytes(of: &targets) { t in
            withUnsafeMutableBytes(of: &results) { r in
                withUnsafeMutableBytes(of: &crossing) { c in
                    let tp = t.baseAddress!.assumingMemoryBound(to: Double.self)
                    let rp = r.baseAddress!.assumingMemoryBound(to: Int.self)
                    let cp = c.baseAddress!.assumingMemoryBound(to: Double.self)
                    select(front, count: m, scratch: back, acc: above.sum, kept: above.count, targets: tp, results: rp,
                           crossing: cp, targetCount: 3)
                }
            }
        }
        hint90 = crossing.0
        return results
    }
}

/// `(Σ, count)` of the masses above `top`, eight lanes at a time.
private func sumAndCount(_ v: UnsafePointer<Double>, count n: Int, above top: Double) -> (sum: Double, count: Int) {
    var sum8 = SIMD8<Double>(repeating: 0), count8 = SIMD8<Int64>(repeating: 0)
    let top8 = SIMD8<Double>(repeating: top)
    var i = 0
    while i + 8 <= n {
        let x = UnsafeRawPointer(v + i).loadUnaligned(as: SIMD8<Double>.self)
        let mask = x .> top8
        sum8 += SIMD8<Double>(repeating: 0).replacing(with: x, where: mask)
        count8 &+= SIMD8<Int64>(repeating: 0).replacing(with: 1, where: mask)
        i += 8
    }
    var sum = laneSum(sum8), count = Int(count8.wrappedSum())
    while i < n {
        if v[i] > top { sum += v[i]; count += 1 }
        i += 1
    }
    return (sum, count)
}

/// Segments this short are sorted (insertion sort, descending) and walked.
private let selectionSortCutoff = 8

/// Resolves the ascending `targets[0..<targetCount]` inside `values[0..<m]`: the values still in
/// play, each ≤ every one of the `kept` values already taken (their sum `acc`, accumulated in
/// descending order) and ≥ every value not yet looked at. Every target here is above `acc`;
/// the result of a target is `kept` plus how many of these values, largest first, bring the
/// running sum to it (all `m` when they never do), and its `crossing` the last value taken.
/// `scratch` holds `m` values.
private func select(_ values: UnsafeMutablePointer<Double>, count m: Int, scratch: UnsafeMutablePointer<Double>,
                    acc: Double, kept: Int, targets: UnsafePointer<Double>, results: UnsafeMutablePointer<Int>,
                    crossing: UnsafeMutablePointer<Double>, targetCount: Int) {
    guard targetCount > 0 else { return }
    if m <= selectionSortCutoff {
        sortDescending(values, count: m)
        var running = acc, i = 0
        for j in 0..<targetCount {
            while i < m && running < targets[j] {
                running += values[i]
                i += 1
            }
            results[j] = kept + i
            if i > 0 { crossing[j] = values[i - 1] }
        }
        return
    }
    let pivot = medianOfThree(values[0], values[m / 2], values[m - 1])
    // Branch-free three-way split into `scratch`: larger values from the front, smaller from
    // the back, equal ones (all `pivot`) only counted. (Each value is written to both ends;
    // only the side whose counter moves keeps it.)
    var larger = 0, smallerStart = m - 1
    for i in 0..<m {
        let x = values[i]
        scratch[larger] = x
        scratch[smallerStart] = x
        larger &+= Int(unsafeBitCast(x > pivot, to: UInt8.self))
        smallerStart &-= Int(unsafeBitCast(x < pivot, to: UInt8.self))
    }
    let largerSum = sum(scratch, count: larger)
    let smaller = m - 1 - smallerStart
    let equal = m - larger - smaller
    // Targets reached inside the larger values.
    var next = 0
    while next < targetCount && targets[next] <= acc + largerSum { next += 1 }
    if next > 0 {
        select(scratch, count: larger, scratch: values, acc: acc, kept: kept, targets: targets, results: results,
               crossing: crossing, targetCount: next)
    }
    // Then inside the equal values, one at a time as the sorted walk would add them.
    var running = acc + largerSum, taken = kept + larger, usedEqual = 0
    while next < targetCount {
        while usedEqual < equal && running < targets[next] {
            running += pivot
            usedEqual += 1
        }
        guard running >= targets[next] else { break }
        results[next] = taken + usedEqual
        crossing[next] = pivot
        next += 1
    }
    guard next < targetCount else { return }
    // The rest lie among the smaller values.
    select(scratch + (m - smaller), count: smaller, scratch: values, acc: running, kept: taken + equal,
           targets: targets + next, results: results + next, crossing: crossing + next, targetCount: targetCount - next)
}

@inline(__always)
private func medianOfThree(_ a: Double, _ b: Double, _ c: Double) -> Double {
    max(min(a, b), min(max(a, b), c))
}

/// Insertion sort, largest first (short segments only).
private func sortDescending(_ v: UnsafeMutablePointer<Double>, count m: Int) {
    guard m > 1 else { return }
    for i in 1..<m {
        let x = v[i]
        var j = i
        while j > 0 && v[j - 1] < x {
            v[j] = v[j - 1]
            j -= 1
        }
        v[j] = x
    }
}

/// `Σ v[0..<m]`, eight lanes at a time.
@inline(__always)
private func sum(_ v: UnsafePointer<Double>, count m: Int) -> Double {
    var lanes = SIMD8<Double>(repeating: 0)
    var i = 0
    while i + 8 <= m {
        lanes += UnsafeRawPointer(v + i).loadUnaligned(as: SIMD8<Double>.self)
        i += 8
    }
    var total = laneSum(lanes)
    while i < m {
        total += v[i]
        i += 1
    }
    return total
}
