/// Which key blocks a query row keeps.
public enum SelectionRule: String, Codable, CaseIterable, Sendable {
    /// Prune a visible block when its largest weight is below `τ`.
    case threshold
    /// Keep the fewest visible blocks whose summed weight reaches `τ` of the row's mass,
    /// taking blocks by descending mass (ties: lower block index first).
    case coverage
    /// Keep the `k` visible blocks with the largest mass (ties: lower index first), all when fewer.
    case topK
    /// Prune a visible block of row `q` when its largest weight is below `c / (q + 1)`: `c`
    /// times the uniform weight of the row's `q + 1` visible keys (`c = 1`: "below uniform"), a
    /// threshold that does not depend on the sequence length.
    case relativeThreshold

    /// The threshold `relativeThreshold` `c` gives a row of `visibleKeys` keys: `c / visibleKeys`,
    /// in Float64. One definition for the per-row path, the intervention and the tiles.
    @inline(__always)
    public static func relativeCut(_ c: Double, visibleKeys n: Int) -> Double { c / Double(n) }

    /// The rule ranks a row's blocks by mass (coverage, topK); the thresholds compare block maxima.
    public var ranksBlocks: Bool { self == .coverage || self == .topK }
}

/// The accepted range of the `relativeThreshold` value `c`: (0, 1024]. At 1024 the cut of the
/// last row of GPT-2's longest context (1,024 keys) is 1, where a block is pruned whenever it is
/// not all of the row's mass; larger values say nothing more.
public enum RelativeThresholdRange {
    public static let upper = 1024.0
    /// "a number in (0, 1024] (relativeThreshold)"
    public static let accepted = "a number in (0, 1024] (relativeThreshold)"
    public static func contains(_ c: Double) -> Bool { c > 0 && c <= upper }
}

/// Blocks kept whatever the rule says (both off by default). Applied on top of the rule.
public struct KeepPolicy: Codable, Hashable, Sendable {
    /// Always keep block 0 (the attention sink).
    public var keepSink: Bool
    /// Always keep the block holding the query.
    public var keepLocal: Bool

    public init(keepSink: Bool = false, keepLocal: Bool = false) {
        self.keepSink = keepSink
        self.keepLocal = keepLocal
    }

    public static let none = KeepPolicy()
}

/// One configuration of a sweep: a rule, its value, a block size and the keep policy.
public struct SweepSetting: Hashable, Sendable {
    public var selection: SelectionRule
    /// Keys per block (≥ 1).
    public var blockSize: Int
    /// `τ` in (0, 1] for `threshold` and `coverage`; the count `k ≥ 1` (an integer) for `topK`;
    /// `c` in (0, 1024] for `relativeThreshold`.
    public var value: Double
    public var keep: KeepPolicy

    public init(selection: SelectionRule, blockSize: Int, value: Double, keep: KeepPolicy = .none) {
        self.selection = selection
        self.blockSize = blockSize
        self.value = value
        self.keep = keep
    }

    /// Every (block size × value) point, block size outer, values in the order given.
    public static func grid(selection: SelectionRule, values: [Double], blockSizes: [Int],
                            keep: KeepPolicy = .none) -> [SweepSetting] {
        blockSizes.flatMap { b in values.map { SweepSetting(selection: selection, blockSize: b, value: $0, keep: keep) } }
    }

    /// Throws when the block size or value is out of range; `field` prefixes the names.
    public func validate(field: String = "point") throws {
        guard blockSize >= 1 else { throw AnalysisError.invalidBlockSize(field: "\(field).blockSize", value: blockSize) }
        switch selection {
        case .threshold, .coverage:
            guard value > 0, value <= 1 else {
                throw AnalysisError.invalidValue(field: "\(field).threshold", value: value, accepted: "a number in (0, 1]")
            }
        case .topK:
            guard value >= 1, value.rounded() == value, value <= Double(Int32.max) else {
                throw AnalysisError.invalidValue(field: "\(field).threshold", value: value, accepted: "an integer k ≥ 1 (topK)")
            }
        case .relativeThreshold:
            guard RelativeThresholdRange.contains(value) else {
                throw AnalysisError.invalidValue(field: "\(field).threshold", value: value, accepted: RelativeThresholdRange.accepted)
            }
        }
    }
}

/// The `seedKL` clamp ε: its default and the one accepted range (the protocol's `seedEpsilon`
/// range is checked against these by a test). The lower end is the vectorised log's domain:
/// every clamped lane must be a normal, positive Double.
public enum SeedEpsilon {
    public static let `default` = 1e-12
    public static let lowest = 1e-300
    public static let highest = 1e-3
    /// "a number in [1e-300, 0.001]"
    public static let accepted = "a number in [1e-300, 0.001]"
}

/// Throws unless `eps` is in `SeedEpsilon.lowest…SeedEpsilon.highest`.
func validateSeedEpsilon(_ eps: Double) throws {
    guard eps >= SeedEpsilon.lowest, eps <= SeedEpsilon.highest else {
        throw AnalysisError.invalidValue(field: "seedEpsilon", value: eps, accepted: SeedEpsilon.accepted)
    }
}
