import Kernels

/// A logits matrix `(T, V)` that holds NaN or an infinity: the first such entry in row-major
/// order (`index` = `t · V + v`) and its value. Thrown by `DenseLogitsReference` (its init and
/// `compare`), whose row pass notices it for free; the daemon answers `-32009` naming the quantity.
public struct NonFiniteLogits: Error, Equatable, Sendable {
    public let index: Int
    public let value: Float
}

/// The first pass over one logits row `z[0..<V]`: what a single read of the row gives.
struct LogitsRowScan {
    /// The largest entry (NaN entries are never the largest).
    var maximum: Float = -.infinity
    /// The first index holding `maximum` (`V − 1` when none does, e.g. a row of NaNs).
    var argmax = 0
    /// Every entry is finite.
    var isFinite = true
    /// The `k` largest entries' indices, largest first, ties by lower index first (`k` as asked).
    var top: [Int] = []
}

/// Max, first argmax, finiteness and (for `k > 0`) the `k` largest indices of `z[0..<v]`, in one
/// read of the row, 16 lanes at a time.
///
/// Finiteness is `NonFiniteScan`'s test (exponent bits all ones ⇔ magnitude bits ≥ 0x7F80_0000),
/// a lane-wise max of the magnitude bits. The top `k` is exactly `largestIndices(z, v, k)`: a
/// 16-lane chunk is offered entry by entry only while the list is not full or when some lane
/// beats its k-th best (`floor`); a chunk with no such lane would have been skipped entry by
/// entry anyway. With `k > 0` the argmax is the list's head (the largest entry, lowest index
/// on ties), which is the first index of the maximum when the row is finite.
@inline(__always)
func scanRow(_ z: UnsafePointer<Float>, count v: Int, topK k: Int) -> LogitsRowScan {
    let magnitude = SIMD16<UInt32>(repeating: 0x7FFF_FFFF)
    var m16 = SIMD16<Float>(repeating: -.infinity)
    var bits16 = SIMD16<UInt32>(repeating: 0)
    var top = TopIndices(k: k)
    var i = 0
    while i + 16 <= v {
        let x = UnsafeRawPointer(z + i).loadUnaligned(as: SIMD16<Float>.self)
        m16 = laneMax(m16, x)
        // A compare and a blend (the standard library's `pointwiseMax` is left as a call here).
        let b = unsafeBitCast(x, to: SIMD16<UInt32>.self) & magnitude
        bits16.replace(with: b, where: b .> bits16)
        if k > 0 && (!top.isFull || any(x .> top.floor)) {
            for j in i..<(i + 16) { top.offer(z, j) }
        }
        i += 16
    }
    var m = largestLane(m16)
    var bits: UInt32 = 0
    for lane in 0..<16 { bits = max(bits, bits16[lane]) }
    while i < v {
        m = max(m, z[i])
        bits = max(bits, z[i].bitPattern & 0x7FFF_FFFF)
        if k > 0 { top.offer(z, i) }
        i += 1
    }
    var scan = LogitsRowScan(maximum: m, argmax: 0, isFinite: bits < 0x7F80_0000, top: top.indices)
    if let first = scan.top.first {
        scan.argmax = first
    } else {
        // First index equal to the max: 16 lanes compared at a time, then the lane within the chunk.
        var argmax = 0
        while argmax + 16 <= v && !any(UnsafeRawPointer(z + argmax).loadUnaligned(as: SIMD16<Float>.self) .== m) {
            argmax += 16
        }
        while argmax < v && z[argmax] != m { argmax += 1 }
        scan.argmax = min(argmax, v - 1)
    }
    return scan
}

/// The `k` largest entries seen so far, by index, largest first, ties by lower index first
/// (entries must be offered in increasing index order).
struct TopIndices {
    let k: Int
    private(set) var indices: [Int] = []
    /// The k-th best value once full (an entry not above it cannot enter), else −∞.
    private(set) var floor = -Float.infinity

    init(k: Int) {
        self.k = max(0, k)
        indices.reserveCapacity(self.k + 1)
    }

    var isFull: Bool { indices.count == k }

    /// Offers entry `i` of `z`.
    @inline(__always)
    mutating func offer(_ z: UnsafePointer<Float>, _ i: Int) {
        let x = z[i]
        if isFull && !(x > floor) { return }
        var position = indices.count
        while position > 0 && z[indices[position - 1]] < x { position -= 1 }
        indices.insert(i, at: position)
        if indices.count > k { indices.removeLast() }
        if isFull { floor = z[indices[k - 1]] }
    }
}

/// Indices of the `k` largest of `z[0..<v]`, largest first, ties by lower index first: every
/// entry offered in turn (the definition `scanRow`'s top `k` must equal).
func largestIndices(_ z: UnsafePointer<Float>, count v: Int, k: Int) -> [Int] {
    guard k > 0 else { return [] }
    var top = TopIndices(k: k)
    for i in 0..<v { top.offer(z, i) }
    return top.indices
}

/// The first non-finite entry of `(T, V)` logits, as `NonFiniteLogits` (a second, element-wise
/// scan, run only once a row pass has seen one).
func firstNonFinite(_ logits: UnsafeBufferPointer<Float>) -> NonFiniteLogits? {
    guard let i = NonFiniteScan.firstNonFinite(logits) else { return nil }
    return NonFiniteLogits(index: i, value: logits[i])
}
