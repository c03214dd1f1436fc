import AttnProtocol
import Foundation

/// One stored `perPositionKL` run (`AttnProtocol.PerPositionKLResponse`): a (L, T) grid of
/// per-query-position values.
struct PerPositionResult {
    var run: StoredRun
    /// Layer indices, one per row.
    var layerIndices: [Int]
    /// (L, T)
    var values: [[Double?]]
    /// T: the longest row.
    var numPositions: Int
    /// Token text per position, when the caller knows it (`ReportOptions.tokenPieces`).
    var tokenTexts: [String]?
    var metric: PositionMetric

    /// Nil unless the run is a `perPositionKL` with a result. - Throws: when the result does not decode.
    init?(run: StoredRun, tokenTexts: [String]?) throws {
        guard run.method == "perPositionKL", let response = try run.decodedResult(PerPositionKLResponse.self) else { return nil }
        self.run = run
        layerIndices = response.body.layers.map(\.layer)
        values = response.body.layers.map { $0.values.map(Optional.some) }
        numPositions = values.map(\.count).max() ?? 0
        metric = response.body.metric
        self.tokenTexts = tokenTexts
    }

    /// The value's unit for axis and colour-bar labels.
    var unit: String { metric == .prunedMass ? "fraction" : "nats" }
}
