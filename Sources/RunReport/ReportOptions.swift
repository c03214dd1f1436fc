/// What the caller can choose about a report.
public struct ReportOptions {
    /// The page heading and `<title>`; default "SelectAttention report".
    public var title: String?
    /// The sweep point for the per-layer bars, by block size (tokens) and threshold (the
    /// selection rule's value). Default, or when a run lacks it: the sparsest point.
    public var pointSelection: (blockSize: Int, threshold: Double)?
    /// The block threshold for a profile run's block-sparsity heatmap. Default, or when a
    /// run lacks it: the run's smallest threshold.
    public var profileThreshold: Double?
    /// Token texts per position of a `perPositionKL` run, by run id, for the heatmap's x axis
    /// (the run stores its text, not its tokens' pieces). Runs without an entry are labelled
    /// by position.
    public var tokenPieces: [String: [String]] = [:]
    /// (nLayer, nHead) per model fingerprint, so a sweep's `fullyPrunedRows` can be shown as a
    /// share of its L·H·T rows. Runs of models not listed show the counts only.
    public var modelShapes: [String: (layers: Int, heads: Int)] = [:]

    public init() {}
}
