/// A metric across texts (§12): mean and the two-sided 95% Student-t interval.
public struct Stat: Codable, Equatable, Sendable {
    public var mean: Double
    /// null when n = 1.
    public var lower: Double?
    /// null when n = 1.
    public var upper: Double?
    /// Texts where the value is defined.
    public var n: Int

    public init(mean: Double, lower: Double?, upper: Double?, n: Int) {
        self.mean = mean
        self.lower = lower
        self.upper = upper
        self.n = n
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mean, forKey: .mean)
        try c.encode(lower, forKey: .lower)
        try c.encode(upper, forKey: .upper)
        try c.encode(n, forKey: .n)
    }
}
