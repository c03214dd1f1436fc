import AttnProtocol
import Foundation

extension ProfileHead {
    /// The share of visible (query, block) pairs below `threshold` (relative tolerance 1e-9).
    func blockFraction(threshold: Double) -> Double? {
        blocks.first { abs($0.threshold - threshold) <= 1e-9 * max(abs(threshold), 1e-300) }?.fraction
    }
}

/// One stored `profileAttention` run (`AttnProtocol.ProfileAttentionResponse`): (L, H) head statistics.
struct ProfileResult {
    var run: StoredRun
    var layerIndices: [Int]
    /// (L, H)
    var heads: [[ProfileHead]]
    /// The mean over every layer and head; nil for a `texts` profile.
    var summary: ProfileSummary?

    /// Nil unless the run is a `profileAttention` with a result. - Throws: when the result does not decode.
    init?(run: StoredRun) throws {
        guard run.method == "profileAttention", let response = try run.decodedResult(ProfileAttentionResponse.self) else { return nil }
        self.run = run
        let layers = response.body.layers ?? []
        layerIndices = layers.map(\.layer)
        heads = layers.map(\.heads)
        summary = response.body.summary
    }

    /// H: the widest layer.
    var numHeads: Int { heads.map(\.count).max() ?? 0 }

    /// Every block threshold that occurs, ascending.
    var thresholds: [Double] {
        var seen: [Double] = []
        for layer in heads { for h in layer { for b in h.blocks
            where !seen.contains(where: { abs($0 - b.threshold) <= 1e-9 * max(abs(b.threshold), 1e-300) }) {
            seen.append(b.threshold)
        } } }
        return seen.sorted()
    }
}
