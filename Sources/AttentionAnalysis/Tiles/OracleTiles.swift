import Kernels

/// The oracle tile rule: decides from the exact attention, which a kernel would have to form
/// first (Protocol/README.md §11, tiles). With `queryBlockSize = 1` it is the per-row rule.
public enum OracleTiles {
    /// Tile scores from one head's exact attention `A` (T, T), row-major, causal:
    /// for `.threshold` and `.relativeThreshold` the tile's largest entry `max_{q∈i, k∈j, k≤q} A[q,k]`, otherwise its mass
    /// `Σ_{q∈i} Σ_{k∈j, k≤q} A[q,k]` (Float64, rows then keys in order).
    /// - Precondition: `attention.count == T·T`.
    public static func scores(attention: UnsafeBufferPointer<Float>, geometry g: TileGeometry,
                              selection: TileSelection) -> TileScores {
        let t = g.tokens
        precondition(attention.count == t * t, "attention holds \(attention.count) floats, expected T·T = \(t * t)")
        var scores = TileScores(geometry: g)
        let useMaximum = selection.comparesMaxima
        for i in 0..<g.queryBlocks {
            for j in 0..<g.visibleKeyBlocks(queryBlock: i) {
                let keys = g.keys(ofBlock: j)
                var maximum: Float = 0, mass = 0.0
                for q in g.queries(ofBlock: i) where keys.lowerBound <= q {
                    for k in keys.lowerBound...min(q, keys.upperBound - 1) {
                        let a = attention[q * t + k]
                        maximum = max(maximum, a)
                        mass += Double(a)
                    }
                }
                scores[i, j] = useMaximum ? Double(maximum) : mass
            }
        }
        return scores
    }

    /// The tiles the oracle keeps: `selection` on `scores(…)`, plus tile `(i, 0)` under
    /// `keep.keepSink` and the diagonal tiles under `keep.keepLocal`. Rows left with no kept
    /// visible key fall back to dense (`TileMask`).
    /// - Throws: `AnalysisError.invalidValue` for an out-of-range or `.window` selection.
    public static func mask(attention: UnsafeBufferPointer<Float>, geometry: TileGeometry, selection: TileSelection,
                            keep: KeepPolicy = .none) throws -> TileMask {
        if case let .window(w) = selection {
            throw AnalysisError.invalidValue(field: "selection", value: Double(w),
                                             accepted: "threshold, relativeThreshold, coverage or topK (window is streaming's)")
        }
        try selection.validate(field: "threshold")
        return scores(attention: attention, geometry: geometry, selection: selection)
            .mask(selection, keepDiagonal: keep.keepLocal, keepSink: keep.keepSink)
    }
}
