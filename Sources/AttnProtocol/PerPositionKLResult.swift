/// `[start, end)` positions and the mean of `values` over them.
public struct PositionSegment: Codable, Equatable, Sendable {
    public var start: Int
    public var end: Int
    public var mean: Double
}

/// One layer: the metric per position, mean over heads.
public struct PositionLayer: Codable, Equatable, Sendable {
    public var layer: Int
    /// `[T]`: nats for the KL metrics, a fraction for `prunedMass`.
    public var values: [Double]
    /// With `segmentSize` only.
    public var segments: [PositionSegment]?
}

/// `perPositionKL`'s own members.
public struct PerPositionKLResult: Codable, Equatable, Sendable {
    /// The metric, echoed.
    public var metric: PositionMetric
    public var layers: [PositionLayer]

    public init(metric: PositionMetric, layers: [PositionLayer]) {
        self.metric = metric
        self.layers = layers
    }
}
