/// A range of accepted real numbers whose ends may each be open or closed, e.g. `(0, 1]`.
public struct NumberInterval: Equatable, Sendable, CustomStringConvertible {
    public var lower: Double?
    public var lowerInclusive: Bool
    public var upper: Double?
    public var upperInclusive: Bool

    public init(lower: Double?, lowerInclusive: Bool, upper: Double?, upperInclusive: Bool) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }

    /// `[a, b]`
    public static func closed(_ a: Double, _ b: Double) -> NumberInterval {
        NumberInterval(lower: a, lowerInclusive: true, upper: b, upperInclusive: true)
    }
    /// `(a, b)`
    public static func open(_ a: Double, _ b: Double) -> NumberInterval {
        NumberInterval(lower: a, lowerInclusive: false, upper: b, upperInclusive: false)
    }
    /// `(a, b]`
    public static func openClosed(_ a: Double, _ b: Double) -> NumberInterval {
        NumberInterval(lower: a, lowerInclusive: false, upper: b, upperInclusive: true)
    }
    /// `[a, b)`
    public static func closedOpen(_ a: Double, _ b: Double) -> NumberInterval {
        NumberInterval(lower: a, lowerInclusive: true, upper: b, upperInclusive: false)
    }
    /// `x > a`
    public static func greaterThan(_ a: Double) -> NumberInterval {
        NumberInterval(lower: a, lowerInclusive: false, upper: nil, upperInclusive: false)
    }
    /// `x ≥ a`
    public static func atLeast(_ a: Double) -> NumberInterval {
        NumberInterval(lower: a, lowerInclusive: true, upper: nil, upperInclusive: false)
    }
    /// Any finite number.
    public static let finite = NumberInterval(lower: nil, lowerInclusive: false, upper: nil, upperInclusive: false)

    /// True for finite numbers inside the interval (NaN and infinities are never contained).
    public func contains(_ x: Double) -> Bool {
        guard x.isFinite else { return false }
        if let lower, lowerInclusive ? x < lower : x <= lower { return false }
        if let upper, upperInclusive ? x > upper : x >= upper { return false }
        return true
    }

    /// "a number in (0, 1]", "a number > 0", "a finite number".
    public var description: String {
        switch (lower, upper) {
        case let (lower?, upper?):
            return "a number in \(lowerInclusive ? "[" : "(")\(format(lower)), \(format(upper))\(upperInclusive ? "]" : ")")"
        case let (lower?, nil):
            return "a number \(lowerInclusive ? "≥" : ">") \(format(lower))"
        case let (nil, upper?):
            return "a number \(upperInclusive ? "≤" : "<") \(format(upper))"
        case (nil, nil):
            return "a finite number"
        }
    }

    private func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }
}

extension ClosedRange where Bound == Int {
    /// "an integer in [1, 4096]", "an integer ≥ 1".
    var acceptedDescription: String {
        switch (lowerBound == Int.min, upperBound == Int.max) {
        case (true, true): return "an integer"
        case (false, true): return "an integer ≥ \(lowerBound)"
        case (true, false): return "an integer ≤ \(upperBound)"
        case (false, false): return "an integer in [\(lowerBound), \(upperBound)]"
        }
    }
}
