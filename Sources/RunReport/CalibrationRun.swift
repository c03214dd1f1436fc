import AttnProtocol
import JSONRPC

/// One stored `calibrate` run (`AnalysisResult<CalibrateResult>`): per (layer, head) the chosen
/// rule value or dense, with the head's statistics on the calibration inputs.
struct CalibrationRun {
    var run: StoredRun
    var result: CalibrateResult
    /// (L, H); nil where the result has no entry for that (layer, head).
    var heads: [[CalibratedHead?]]

    /// Nil unless the run is a `calibrate` with a result. - Throws: when the result does not decode.
    init?(run: StoredRun) throws {
        guard run.method == "calibrate", let response = try run.decodedResult(AnalysisResult<CalibrateResult>.self) else { return nil }
        self.run = run
        result = response.body
        let layers = (result.heads.map(\.layer).max() ?? -1) + 1, count = (result.heads.map(\.head).max() ?? -1) + 1
        var grid = [[CalibratedHead?]](repeating: [CalibratedHead?](repeating: nil, count: count), count: layers)
        for head in result.heads where head.layer >= 0 && head.head >= 0 { grid[head.layer][head.head] = head }
        heads = grid
    }

    var numLayers: Int { heads.count }
    var numHeads: Int { heads.first?.count ?? 0 }
}
