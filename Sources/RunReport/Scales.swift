import Foundation

/// A rectangle of the canvas that holds a plot's data (axes drawn on its edges).
struct PlotArea {
    var x: Double
    var y: Double
    var width: Double
    var height: Double
    var bottom: Double { y + height }
    var right: Double { x + width }
}

/// Linear map from a data interval to pixels.
struct LinearScale {
    var domain: (lo: Double, hi: Double)
    var range: (from: Double, to: Double)

    func map(_ v: Double) -> Double {
        let span = domain.hi - domain.lo
        let t = span == 0 ? 0.5 : (v - domain.lo) / span
        return range.from + t * (range.to - range.from)
    }

    /// A 1-2-5 step giving about `count` intervals over the domain.
    func tickStep(count: Int = 5) -> Double {
        let span = max(domain.hi - domain.lo, 1e-12)
        let raw = span / Double(max(count, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let m = raw / magnitude
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * magnitude
    }

    /// Tick values: multiples of `tickStep` inside the domain.
    func ticks(count: Int = 5) -> [Double] {
        let step = tickStep(count: count)
        var v = (domain.lo / step).rounded(.up) * step
        var out: [Double] = []
        while v <= domain.hi + step * 1e-9 {
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return out
    }

    /// A domain [lo, hi] widened to multiples of a 1-2-5 step (about `count` ticks).
    static func niceDomain(lo: Double, hi: Double, count: Int = 5) -> (lo: Double, hi: Double) {
        var lo = lo, hi = hi
        if hi <= lo { lo -= 0.5 * max(abs(lo), 0.1); hi += 0.5 * max(abs(hi), 0.1) }
        let step = LinearScale(domain: (lo, hi), range: (0, 1)).tickStep(count: count)
        return ((lo / step).rounded(.down) * step, (hi / step).rounded(.up) * step)
    }
}

/// Base-10 log map from decades [10^lo, 10^hi] to pixels. Values below 10^lo (zeros
/// included) are drawn at 10^lo: the floor.
struct LogScale {
    var loExponent: Int
    var hiExponent: Int
    var range: (from: Double, to: Double)

    var floor: Double { pow(10, Double(loExponent)) }

    func map(_ v: Double) -> Double {
        let e = log10(max(v, floor))
        return range.from + (e - Double(loExponent)) / Double(hiExponent - loExponent) * (range.to - range.from)
    }

    func isClamped(_ v: Double) -> Bool { v < floor }

    /// Decades that get a labelled tick: every one, or every 2nd/3rd when there are many.
    var tickExponents: [Int] {
        let decades = hiExponent - loExponent
        let stride = decades <= 7 ? 1 : decades <= 14 ? 2 : 3
        return Array(Swift.stride(from: loExponent, through: hiExponent, by: stride))
    }

    /// The decades spanning `values`. With zeros (or values under 1e-12) present, or with
    /// `roomBelow` (bars, which rise from the floor and would vanish at it), the floor goes
    /// one decade under the smallest positive value's decade.
    static func fitting(_ values: [Double], range: (from: Double, to: Double), roomBelow: Bool = false) -> LogScale {
        let hardFloorExponent = -12
        let positive = values.filter { $0 >= pow(10, Double(hardFloorExponent)) }
        guard let minPositive = positive.min(), let maxPositive = positive.max() else {
            return LogScale(loExponent: -6, hiExponent: -5, range: range)
        }
        let hasClamped = positive.count < values.count
        var lo = Int(Foundation.floor(log10(minPositive))) - (hasClamped || roomBelow ? 1 : 0)
        lo = max(lo, hardFloorExponent)
        var hi = Int(ceil(log10(maxPositive)))
        if hi <= lo { hi = lo + 1 }
        return LogScale(loExponent: lo, hiExponent: hi, range: range)
    }
}
