import Foundation

/// Per-layer aggregates of one sweep point (means over heads and queries).
struct PlottedSweepLayer {
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
struct PlottedEndToEnd {
    /// Mean KL(full || pruned) of the next-token distributions, nats.
    var outputKL: Double?
    var top1Agreement: Double?
    /// Mean next-token negative log-likelihood, nats.
    var nllFull: Double?
    var nllPruned: Double?
}

/// One (blockSize, threshold) point of a stored `pruneSweep` result as the figures plot it: the
/// fields that place it required, every metric optional (the protocol type is `AttnProtocol.SweepPoint`).
struct PlottedSweepPoint {
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
    var layers: [PlottedSweepLayer]
    var endToEnd: PlottedEndToEnd?

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
        guard let blockSize = LooseJSON.int(json["blockSize"]),
              let threshold = LooseJSON.double(json["threshold"]),
              let fraction = LooseJSON.double(json["prunedBlockFraction"]) else { return nil }
        self.blockSize = blockSize
        self.threshold = threshold
        prunedBlockFraction = fraction
        selection = (json["selection"] as? String) ?? "threshold"
        seedPrunedFraction = LooseJSON.double(json["seedPrunedFraction"])
        prunedMass = LooseJSON.double(json["prunedMass"])
        attentionKL = LooseJSON.double(json["attentionKL"])
        seedKL = LooseJSON.double(json["seedKL"])
        fullyPrunedRows = LooseJSON.int(json["fullyPrunedRows"])
        layers = LooseJSON.objects(json["layers"]).enumerated().map { offset, layer in
            PlottedSweepLayer(layer: LooseJSON.int(layer["layer"]) ?? offset,
                       prunedBlockFraction: LooseJSON.double(layer["prunedBlockFraction"]),
                       prunedMass: LooseJSON.double(layer["prunedMass"]),
                       attentionKL: LooseJSON.double(layer["attentionKL"]),
                       seedKL: LooseJSON.double(layer["seedKL"]),
                       fullyPrunedRows: LooseJSON.int(layer["fullyPrunedRows"]))
        }
        if let e2e = LooseJSON.object(json["endToEnd"]) {
            endToEnd = PlottedEndToEnd(outputKL: LooseJSON.double(e2e["outputKL"]),
                                     top1Agreement: LooseJSON.double(e2e["top1Agreement"]),
                                     nllFull: LooseJSON.double(e2e["nllFull"]),
                                     nllPruned: LooseJSON.double(e2e["nllPruned"]))
        }
    }
}

/// The points of one stored `pruneSweep` run.
struct SweepResult {
    var run: StoredRun
    var points: [PlottedSweepPoint]
    /// Points left out because blockSize, threshold or prunedBlockFraction was missing.
    var skippedPoints: Int
    var numTokens: Int?
    /// The ε the seed metrics clamp to (params.seedEpsilon, default 1e-12).
    var seedEpsilon: Double

    init?(run: StoredRun) {
        guard run.method == "pruneSweep", let result = run.result else { return nil }
        let raw = LooseJSON.objects(result["points"])
        self.run = run
        points = raw.compactMap(PlottedSweepPoint.init(json:))
        skippedPoints = raw.count - points.count
        numTokens = LooseJSON.int(result["numTokens"])
        seedEpsilon = LooseJSON.double(run.params["seedEpsilon"]) ?? 1e-12
    }

    /// The point with `blockSize` and `threshold` (relative tolerance 1e-9), if the run has it.
    func point(blockSize: Int, threshold: Double) -> PlottedSweepPoint? {
        points.first { $0.blockSize == blockSize && abs($0.threshold - threshold) <= 1e-9 * max(abs(threshold), 1e-300) }
    }

    /// The point that prunes the most (largest prunedBlockFraction; first one on ties).
    var sparsestPoint: PlottedSweepPoint? {
        points.reduce(nil) { best, p in
            guard let b = best else { return p }
            return p.prunedBlockFraction > b.prunedBlockFraction ? p : b
        }
    }
}
