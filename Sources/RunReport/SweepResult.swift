import AttnProtocol
import Foundation

extension SweepPoint {
    /// The threshold as a point label: `0.002`, `k=8`, `cov 0.9`, `rel 0.5` (relativeThreshold c).
    var thresholdLabel: String {
        switch selection {
        case .relativeThreshold: return "rel \(NumberFormat.value(threshold))"
        case .topK: return "k=\(NumberFormat.value(threshold))"
        case .coverage: return "cov \(NumberFormat.value(threshold))"
        case .threshold: return NumberFormat.value(threshold)
        case .window: return "w=\(NumberFormat.value(threshold))"
        }
    }

    /// `B=16, τ=0.002` (or `k=8`, `cov 0.9`).
    var name: String {
        selection == .threshold ? "B=\(blockSize), τ=\(thresholdLabel)" : "B=\(blockSize), \(thresholdLabel)"
    }
}

/// The points of one stored `pruneSweep` run (`AttnProtocol.PruneSweepResponse`).
struct SweepResult {
    var run: StoredRun
    /// Block-size major, as the daemon answered; empty for a `texts` sweep.
    var points: [SweepPoint]
    var numTokens: Int
    /// The ε the seed metrics clamp to (params.seedEpsilon, default 1e-12).
    var seedEpsilon: Double
    /// L·H of the run's model, when the caller knows it (`ReportOptions.modelShapes`).
    var rowsPerToken: Int?

    /// Above this share of rows kept dense, the fallback dominates a point: its
    /// prunedBlockFraction then reflects the fallback rather than the rule.
    static let dominantFallbackShare = 0.5

    /// `fullyPrunedRows` / (L·H·T): the share of (layer, head, query) rows kept dense.
    func denseFallbackShare(_ point: SweepPoint) -> Double? {
        guard let rowsPerToken, rowsPerToken > 0, numTokens > 0 else { return nil }
        return Double(point.fullyPrunedRows) / Double(rowsPerToken * numTokens)
    }

    func fallbackDominates(_ point: SweepPoint) -> Bool {
        (denseFallbackShare(point) ?? 0) > Self.dominantFallbackShare
    }

    /// Nil unless the run is a `pruneSweep` with a result. - Throws: when the result does not decode.
    init?(run: StoredRun, options: ReportOptions) throws {
        guard run.method == "pruneSweep", let response = try run.decodedResult(PruneSweepResponse.self) else { return nil }
        self.run = run
        points = response.body.points ?? []
        numTokens = response.fields.numTokens
        seedEpsilon = run.params["seedEpsilon"]?.doubleValue ?? ProtocolLimits.seedEpsilonDefault
        rowsPerToken = run.model.flatMap { options.modelShapes[$0] }.map { $0.layers * $0.heads }
    }

    /// The point with `blockSize` and `threshold` (relative tolerance 1e-9), if the run has it.
    func point(blockSize: Int, threshold: Double) -> SweepPoint? {
        points.first { $0.blockSize == blockSize && abs($0.threshold - threshold) <= 1e-9 * max(abs(threshold), 1e-300) }
    }

    /// The point that prunes the most (largest prunedBlockFraction; first one on ties).
    var sparsestPoint: SweepPoint? {
        points.reduce(nil) { best, p in
            guard let b = best else { return p }
            return p.prunedBlockFraction > b.prunedBlockFraction ? p : b
        }
    }
}
