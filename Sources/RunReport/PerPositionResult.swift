import Foundation

/// One stored `perPositionKL` run: a (L, T) grid of per-query-position values.
struct PerPositionResult {
    var run: StoredRun
    /// Layer indices, one per row.
    var layerIndices: [Int]
    /// (L, T): `nil` where a value was missing or null.
    var values: [[Double?]]
    /// T: the longest row.
    var numPositions: Int
    /// Token text per position when the result carried it (`pieces`, or `tokens` as strings).
    var tokenTexts: [String]?
    /// `attentionKL` (default), `seedKL` or `prunedMass`.
    var metric: String

    init?(run: StoredRun) {
        guard run.method == "perPositionKL", let result = run.result else { return nil }
        self.run = run
        let layers = LooseJSON.objects(result["layers"])
        layerIndices = layers.enumerated().map { LooseJSON.int($1["layer"]) ?? $0 }
        values = layers.map { layer in ((layer["values"] as? [Any]) ?? []).map { LooseJSON.double($0) } }
        numPositions = values.map(\.count).max() ?? 0
        metric = (run.params["metric"] as? String) ?? (result["metric"] as? String) ?? "attentionKL"
        if let pieces = result["pieces"] as? [String] {
            tokenTexts = pieces
        } else if let tokens = result["tokens"] as? [Any], let strings = tokens as? [String] {
            tokenTexts = strings
        } else {
            tokenTexts = nil
        }
    }

    /// The value's unit for axis and colour-bar labels.
    var unit: String { metric == "prunedMass" ? "fraction" : "nats" }
}
