import Foundation

/// One head's profile (`profileAttention` result, `layers[].heads[]`).
struct ProfileHead {
    var head: Int
    var entrySparsity: Double?
    var entrySparsitySeed: Double?
    /// Mean row entropy, nats.
    var entropy: Double?
    /// Mean weight on key 0 (fraction).
    var sinkMass: Double?
    /// Mean weight inside the query's own block (fraction).
    var localMass: Double?
    /// threshold → share of visible (query, block) pairs below it.
    var blockFractions: [(threshold: Double, fraction: Double?, fractionSeed: Double?)]

    func blockFraction(threshold: Double) -> Double? {
        blockFractions.first { abs($0.threshold - threshold) <= 1e-9 * max(abs(threshold), 1e-300) }?.fraction
    }
}

/// One stored `profileAttention` run: (L, H) head statistics.
struct ProfileResult {
    var run: StoredRun
    var layerIndices: [Int]
    /// (L, H)
    var heads: [[ProfileHead]]
    /// The result's `summary` object, shown as a table.
    var summary: [String: Any]

    init?(run: StoredRun) {
        guard run.method == "profileAttention", let result = run.result else { return nil }
        self.run = run
        let layers = LooseJSON.objects(result["layers"])
        layerIndices = layers.enumerated().map { LooseJSON.int($1["layer"]) ?? $0 }
        heads = layers.map { layer in
            LooseJSON.objects(layer["heads"]).enumerated().map { offset, h in
                ProfileHead(head: LooseJSON.int(h["head"]) ?? offset,
                            entrySparsity: LooseJSON.double(h["entrySparsity"]),
                            entrySparsitySeed: LooseJSON.double(h["entrySparsitySeed"]),
                            entropy: LooseJSON.double(h["entropy"]),
                            sinkMass: LooseJSON.double(h["sinkMass"]),
                            localMass: LooseJSON.double(h["localMass"]),
                            blockFractions: LooseJSON.objects(h["blocks"]).compactMap { b in
                                guard let t = LooseJSON.double(b["threshold"]) else { return nil }
                                return (t, LooseJSON.double(b["fraction"]), LooseJSON.double(b["fractionSeed"]))
                            })
            }
        }
        summary = LooseJSON.object(result["summary"]) ?? [:]
    }

    /// H: the widest layer.
    var numHeads: Int { heads.map(\.count).max() ?? 0 }

    /// Every block threshold that occurs, ascending.
    var thresholds: [Double] {
        var seen: [Double] = []
        for layer in heads { for h in layer { for b in h.blockFractions
            where !seen.contains(where: { abs($0 - b.threshold) <= 1e-9 * max(abs(b.threshold), 1e-300) }) {
            seen.append(b.threshold)
        } } }
        return seen.sorted()
    }
}
