/// The global allocation of an output budget (`calibrate` with `maxOutputKL`, Protocol/README.md
/// §10): spend the budget where it skips the most work per nat.
///
/// Each head's candidates are points (x = its `attentionKL`, nats; y = its `sparsity`, the work
/// skipped); dense is (0, 0). A head moves along the upper concave hull of its points from
/// (0, 0) — each step to the point with the largest slope Δy / Δx (a step with Δx = 0 and Δy > 0
/// comes first) — so its steps skip ever less work per nat. The steps of all heads are merged by
/// slope, largest first (ties: lower head index, then the head's own order): configuration n is
/// the first n steps taken. Only candidates skipping at least `denseBelowSparsity` are points.
/// Value type; any thread.
public struct GlobalAllocation: Equatable, Sendable {
    /// One move of one head to a candidate.
    public struct Step: Equatable, Sendable {
        /// Flat head index (layer-major: `layer · H + head`).
        public var head: Int
        /// The candidate the head moves to.
        public var candidate: Int
        /// Sparsity gained per nat of the head's attention KL (+∞ for a free step).
        public var slope: Double
    }

    public let heads: Int
    /// Every head's hull steps, merged by slope.
    public let steps: [Step]

    /// - Parameter stats: `[head][candidate]` statistics (flat head index, candidates in order).
    public init(stats: [[HeadCandidateStats]], denseBelowSparsity: Double) {
        heads = stats.count
        var all: [(step: Step, order: Int)] = []
        for (h, candidates) in stats.enumerated() {
            for (n, step) in Self.hull(candidates, head: h, denseBelowSparsity: denseBelowSparsity).enumerated() {
                all.append((step, n))
            }
        }
        all.sort { a, b in
            if a.step.slope != b.step.slope { return a.step.slope > b.step.slope }
            if a.step.head != b.step.head { return a.step.head < b.step.head }
            return a.order < b.order
        }
        steps = all.map(\.step)
    }

    /// One head's hull steps from dense, slopes non-increasing.
    static func hull(_ candidates: [HeadCandidateStats], head: Int, denseBelowSparsity: Double) -> [Step] {
        let points = candidates.enumerated().filter { $0.element.sparsity >= denseBelowSparsity && $0.element.attentionKL.isFinite }
        var x = 0.0, y = 0.0
        var steps: [Step] = []
        while true {
            var best: (candidate: Int, slope: Double, y: Double)?
            for (c, s) in points where s.sparsity > y && s.attentionKL >= x {
                let dx = s.attentionKL - x, dy = s.sparsity - y
                let slope = dx > 0 ? dy / dx : .infinity
                if let b = best, !(slope > b.slope || (slope == b.slope && s.sparsity > b.y)) { continue }
                best = (c, slope, s.sparsity)
            }
            guard let b = best else { return steps }
            // Concave by construction; `min` only guards rounding.
            let slope = min(b.slope, steps.last?.slope ?? .infinity)
            steps.append(Step(head: head, candidate: b.candidate, slope: slope))
            x = candidates[b.candidate].attentionKL
            y = candidates[b.candidate].sparsity
        }
    }

    /// Each head's candidate after the first `n` steps (nil: still dense).
    /// - Precondition: `0 ≤ n ≤ steps.count`.
    public func configuration(steps n: Int) -> [Int?] {
        precondition(n >= 0 && n <= steps.count, "step \(n) of \(steps.count)")
        var chosen = [Int?](repeating: nil, count: heads)
        for step in steps.prefix(n) { chosen[step.head] = step.candidate }
        return chosen
    }

    /// The largest configuration index whose measured value is within `budget`, by bisection over
    /// `0…count`: configuration 0 (dense) is taken as within budget without measuring; `count` is
    /// measured first, then the midpoints. Every configuration the answer rests on was measured
    /// (`measure(n)` must be a real evaluation, e.g. a pruned pass); with a measured value that is
    /// not monotone in n the answer is still within budget, but a larger index may also be.
    /// - Returns: the index and the values measured, by index.
    public static func largestWithinBudget(count: Int, budget: Double,
                                           measure: (Int) throws -> Double) rethrows -> (index: Int, measured: [Int: Double]) {
        var measured: [Int: Double] = [:]
        guard count > 0 else { return (0, measured) }
        let top = try measure(count)
        measured[count] = top
        if top <= budget { return (count, measured) }
        var lo = 0, hi = count   // lo within budget (or dense), hi over it
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            let value = try measure(mid)
            measured[mid] = value
            if value <= budget { lo = mid } else { hi = mid }
        }
        return (lo, measured)
    }
}
