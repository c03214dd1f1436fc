/// One head of a calibration (§10 `calibrate`): its chosen value and its statistics on the
/// calibration inputs (pooled over their rows).
public struct CalibratedHead: Codable, Equatable, Sendable {
    public var layer: Int
    public var head: Int
    /// The rule value; null when the head stays dense.
    public var value: Double?
    public var dense: Bool
    /// `budgetNotMet`, `tooLittleSparsity` or `notAllocated` when dense; null otherwise.
    public var denseReason: String?
    public var tileDensity: Double
    public var computedFraction: Double
    /// Mean kept mass m(q) over the head's rows.
    public var recall: Double
    /// Mean −ln m(q), nats.
    public var attentionKL: Double

    public init(layer: Int, head: Int, value: Double?, denseReason: String?, tileDensity: Double,
                computedFraction: Double, recall: Double, attentionKL: Double) {
        self.layer = layer
        self.head = head
        self.value = value
        dense = value == nil
        self.denseReason = denseReason
        self.tileDensity = tileDensity
        self.computedFraction = computedFraction
        self.recall = recall
        self.attentionKL = attentionKL
    }

    private enum CodingKeys: String, CodingKey {
        case layer, head, value, dense, denseReason, tileDensity, computedFraction, recall, attentionKL
    }

    /// `value` and `denseReason` are written as null, never left out.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layer, forKey: .layer)
        try c.encode(head, forKey: .head)
        try c.encode(value, forKey: .value)
        try c.encode(dense, forKey: .dense)
        try c.encode(denseReason, forKey: .denseReason)
        try c.encode(tileDensity, forKey: .tileDensity)
        try c.encode(computedFraction, forKey: .computedFraction)
        try c.encode(recall, forKey: .recall)
        try c.encode(attentionKL, forKey: .attentionKL)
    }
}

/// One configuration the `maxOutputKL` search measured with a pruned pass.
public struct CalibrationProbe: Codable, Equatable, Sendable {
    /// Steps of the global allocation taken (0 = dense).
    public var steps: Int
    /// Mean over inputs of the pruned pass's outputKL, nats.
    public var outputKL: Double
    /// Pooled computedFraction at the attention level.
    public var computedFraction: Double

    public init(steps: Int, outputKL: Double, computedFraction: Double) {
        self.steps = steps
        self.outputKL = outputKL
        self.computedFraction = computedFraction
    }
}

/// How the calibration searched (§10 `calibrate`, "what the search guarantees").
public struct CalibrationSearch: Codable, Equatable, Sendable {
    /// `perHead` (maxAttentionKL, minRecall) or `globalAllocation` (maxOutputKL).
    public var method: String
    public var candidates: [Double]
    /// Steps of the global allocation (0 for perHead).
    public var allocationSteps: Int
    /// The allocation steps the result takes (its configuration n; 0 for perHead).
    public var stepsTaken: Int
    /// Pruned passes over the inputs, the final check included.
    public var prunedPasses: Int
    /// The configurations measured (globalAllocation), in the order measured.
    public var probes: [CalibrationProbe]

    public init(method: String, candidates: [Double], allocationSteps: Int, stepsTaken: Int, prunedPasses: Int,
                probes: [CalibrationProbe]) {
        self.method = method
        self.candidates = candidates
        self.allocationSteps = allocationSteps
        self.stepsTaken = stepsTaken
        self.prunedPasses = prunedPasses
        self.probes = probes
    }
}

/// The result of `calibrate` (plus the analysis fields).
public struct CalibrateResult: Codable, Equatable, Sendable {
    public var budget: Budget
    /// True when the result is within the budget (a budget no setting meets keeps every head dense
    /// and says so here and in `reason`).
    public var withinBudget: Bool
    public var reason: String?
    /// Layer-major, every (layer, head).
    public var heads: [CalibratedHead]
    /// The configuration to pass as `perHead` to `pruneSweep` / `perPositionKL`.
    public var perHead: PerHeadTable
    public var denseHeads: Int
    /// Pooled over heads and calibration rows (§11 tile metrics).
    public var tileDensity: Double
    public var computedFraction: Double
    public var recall: Double
    /// The calibrated configuration run end to end on the calibration inputs: per field the mean
    /// over inputs (what `pruneSweep` with `perHead` reports, `aggregate` means for `texts`).
    public var check: EndToEnd
    public var search: CalibrationSearch

    public struct Budget: Codable, Equatable, Sendable {
        /// `outputKL`, `attentionKL` or `recall`.
        public var metric: String
        public var value: Double
        public var denseBelowSparsity: Double

        public init(metric: String, value: Double, denseBelowSparsity: Double) {
            self.metric = metric
            self.value = value
            self.denseBelowSparsity = denseBelowSparsity
        }
    }

    public init(budget: Budget, withinBudget: Bool, reason: String?, heads: [CalibratedHead], perHead: PerHeadTable,
                denseHeads: Int, tileDensity: Double, computedFraction: Double, recall: Double, check: EndToEnd,
                search: CalibrationSearch) {
        self.budget = budget
        self.withinBudget = withinBudget
        self.reason = reason
        self.heads = heads
        self.perHead = perHead
        self.denseHeads = denseHeads
        self.tileDensity = tileDensity
        self.computedFraction = computedFraction
        self.recall = recall
        self.check = check
        self.search = search
    }

    private enum CodingKeys: String, CodingKey {
        case budget, withinBudget, reason, heads, perHead, denseHeads, tileDensity, computedFraction, recall, check, search
    }

    /// `reason` is written as null, never left out.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(budget, forKey: .budget)
        try c.encode(withinBudget, forKey: .withinBudget)
        try c.encode(reason, forKey: .reason)
        try c.encode(heads, forKey: .heads)
        try c.encode(perHead, forKey: .perHead)
        try c.encode(denseHeads, forKey: .denseHeads)
        try c.encode(tileDensity, forKey: .tileDensity)
        try c.encode(computedFraction, forKey: .computedFraction)
        try c.encode(recall, forKey: .recall)
        try c.encode(check, forKey: .check)
        try c.encode(search, forKey: .search)
    }
}
