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

    /// The coverage counts `(p90, p95, p99)` of `blocks` masses at `mass` whose sum is `total`.
    /// - Precondition: `blocks ≤ capacity`; masses are finite and `≥ 0`.
    func counts(mass: UnsafePointer<Double>, blocks n: Int, total: Double) -> (Int, Int, Int) {
        guard n > 0, total > 0 else { return (0, 0, 0) }
        let cut = 0.005 * total / Double(n)
        var m = 0
        for j in 0..<n {
            let x = mass[j]
            front[m] = x
            m &+= Int(unsafeBitCast(x >= cut, to: UInt8.self))
        }
        var targets = (0.9 * total, 0.95 * total, 0.99 * total)
        var results = (0, 0, 0)
        withUnsafeMutableBytes(of: &targets) { t in
            withUnsafeMutableBytes(of: &results) { r in
                let tp = t.baseAddress!.assumingMemoryBound(to: Double.self)
                let rp = r.baseAddress!.assumingMemoryBound(to: Int.self)
                select(front, count: m, scratch: back, acc: 0, kept: 0, targets: tp, results: rp, targetCount: 3)
            }
        }
        return results
    }
}

/// Segments this short are sorted (insertion sort, descending) and walked.
private let selectionSortCutoff = 8

/// Resolves the ascending `targets[0..<targetCount]` inside `values[0..<m]`: the values still in
/// play, each ≤ every one of the `kept` values already taken (their sum `acc`, accumulated in
/// descending order) and ≥ every value not yet looked at. Every target here is above `acc`;
/// the result of a target is `kept` plus how many of these values, largest first, bring the
/// running sum to it (all `m` when they never do). `scratch` holds `m` values.
private func select(_ values: UnsafeMutablePointer<Double>, count m: Int, scratch: UnsafeMutablePointer<Double>,
                    acc: Double, kept: Int, targets: UnsafePointer<Double>, results: UnsafeMutablePointer<Int>,
                    targetCount: Int) {
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
               targetCount: next)
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
        next += 1
    }
    guard next < targetCount else { return }
    // The rest lie among the smaller values.
    select(scratch + (m - smaller), count: smaller, scratch: values, acc: running, kept: taken + equal,
           targets: targets + next, results: results + next, targetCount: targetCount - next)
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
