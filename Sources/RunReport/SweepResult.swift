import Foundation

/// Per-layer aggregates of one sweep point (means over heads and queries).
struct SweepLayer {
    var layer: Int
    var prunedBlockFraction: Double?
    var prunedMass: Double?
    /// nats
    var attentionKL: Double?
    /// nats
    var seedKL: Double?
    var fullyPrunedRows: Int?
}

/// What the pruned forward pass changed at the output (present when `endToEnd` was requested).
struct SweepEndToEnd {
    /// Mean KL(full || pruned) of the next-token distributions, nats.
    var outputKL: Double?
    var top1Agreement: Double?
    /// Mean next-token negative log-likelihood, nats.
    var nllFull: Double?
    var nllPruned: Double?
}

/// One (blockSize, threshold) point of a `pruneSweep` result.
struct SweepPoint {
    var selection: String
    /// Block size, tokens.
    var blockSize: Int
    /// The selection rule's value: a weight threshold, a coverage share, or k for topK.
    var threshold: Double
    var prunedBlockFraction: Double
    var seedPrunedFraction: Double?
    var prunedMass: Double?
    /// nats
    var attentionKL: Double?
    /// nats
    var seedKL: Double?
    var fullyPrunedRows: Int?
    var layers: [SweepLayer]
    var endToEnd: SweepEndToEnd?

    /// The threshold as a point label: `0.002`, `k=8`, `cov 0.9`.
    var thresholdLabel: String {
        switch selection {
        case "topK": return "k=\(NumberFormat.value(threshold))"
        case "coverage": return "cov \(NumberFormat.value(threshold))"
        default: return NumberFormat.value(threshold)
        }
    }

    /// `B=16, τ=0.002` (or `k=8`, `cov 0.9`).
    var name: String {
        selection == "threshold" || selection.isEmpty
            ? "B=\(blockSize), τ=\(thresholdLabel)" : "B=\(blockSize), \(thresholdLabel)"
    }

    /// Reads one point; `nil` when the fields that place it on the plot are missing.
    init?(json: [String: Any]) {
        guard let blockSize = JSONValue.int(json["blockSize"]),
              let threshold = JSONValue.double(json["threshold"]),
              let fraction = JSONValue.double(json["prunedBlockFraction"]) else { return nil }
        self.blockSize = blockSize
        self.threshold = threshold
        prunedBlockFraction = fraction
        selection = (json["selection"] as? String) ?? "threshold"
        seedPrunedFraction = JSONValue.double(json["seedPrunedFraction"])
        prunedMass = JSONValue.double(json["prunedMass"])
        attentionKL = JSONValue.double(json["attentionKL"])
        seedKL = JSONValue.double(json["seedKL"])
        fullyPrunedRows = JSONValue.int(json["fullyPrunedRows"])
        layers = JSONValue.objects(json["layers"]).enumerated().map { offset, layer in
            SweepLayer(layer: JSONValue.int(layer["layer"]) ?? offset,
                       prunedBlockFraction: JSONValue.double(layer["prunedBlockFraction"]),
                       prunedMass: JSONValue.double(layer["prunedMass"]),
                       attentionKL: JSONValue.double(layer["attentionKL"]),
                       seedKL: JSONValue.double(layer["seedKL"]),
                       fullyPrunedRows: JSONValue.int(layer["fullyPrunedRows"]))
        }
        if let e2e = JSONValue.object(json["endToEnd"]) {
            endToEnd = SweepEndToEnd(outputKL: JSONValue.double(e2e["outputKL"]),
                                     top1Agreement: JSONValue.double(e2e["top1Agreement"]),
                                     nllFull: JSONValue.double(e2e["nllFull"]),
                                     nllPruned: JSONValue.double(e2e["nllPruned"]))
        }
    }
}

/// The points of one stored `pruneSweep` run.
struct SweepResult {
    var run: StoredRun
    var points: [SweepPoint]
    /// Points left out because blockSize, threshold or prunedBlockFraction was missing.
    var skippedPoints: Int
    var numTokens: Int?
    /// The ε the seed metrics clamp to (params.seedEpsilon, default 1e-12).
    var seedEpsilon: Double

    init?(run: StoredRun) {
        guard run.method == "pruneSweep", let result = run.result else { return nil }
        let raw = JSONValue.objects(result["points"])
        self.run = run
        points = raw.compactMap(SweepPoint.init(json:))
        skippedPoints = raw.count - points.count
        numTokens = JSONValue.int(result["numTokens"])
        seedEpsilon = JSONValue.double(run.params["seedEpsilon"]) ?? 1e-12
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
