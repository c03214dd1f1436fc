import JSONRPC

/// The tile fields `pruneSweep` and `perPositionKL` share (Protocol/README.md §10, §11 tiles):
/// which estimator decides the kept tiles, the query block size, and the estimators' own params.
public protocol TileRuleParams {
    var selection: Selection { get }
    /// Queries per tile (Bq); 1 with `oracle` is the per-row rule.
    var queryBlockSize: Int { get }
    var estimator: Estimator { get }
    /// `antidiagonal`'s stride S.
    var stride: Int { get }
    /// `lastQueries`' number of queries.
    var lastQueries: Int { get }
    /// `streaming`'s sink, tokens.
    var sinkTokens: Int { get }
}

extension TileRuleParams {
    /// Not the per-row oracle: the tile path (§11, tiles), answered with tile masks.
    public var usesTiles: Bool { queryBlockSize != 1 || estimator != .oracle }
}

/// Defaults of the tile fields (§10).
public enum TileDefaults {
    public static let queryBlockSize = 1
    public static let stride = 8
    public static let lastQueries = 64
    public static let sinkTokens = 4
}

extension ParamReader {
    /// `estimator` (default `oracle`), then the `selection` it allows: `window` for `streaming`
    /// (its only one, and the default), one of the score rules for every other estimator.
    func estimatorAndSelection() throws -> (estimator: Estimator, selection: Selection) {
        let name = try string("estimator", oneOf: Estimator.allCases.map(\.rawValue), default: Estimator.oracle.rawValue)
        let estimator = Estimator(rawValue: name) ?? .oracle
        let selection = try selection(Selection.allCases, default: estimator == .streaming ? .window : .threshold)
        if (selection == .window) != (estimator == .streaming) {
            throw invalid("selection", accepted: estimator == .streaming
                ? "\"window\" (the only selection of estimator \"streaming\")"
                : "one of \"threshold\", \"coverage\", \"topK\", \"relativeThreshold\" (\"window\" is for estimator \"streaming\")")
        }
        return (estimator, selection)
    }

    /// `queryBlockSize`, `stride`, `lastQueries`, `sinkTokens`; for `antidiagonal` the stride
    /// must divide `queryBlockSize` and every key block size.
    func tileShape(estimator: Estimator, keyBlockSizes: [Int])
        throws -> (queryBlockSize: Int, stride: Int, lastQueries: Int, sinkTokens: Int) {
        let queryBlockSize = try int("queryBlockSize", default: TileDefaults.queryBlockSize, range: ProtocolLimits.queryBlockSize)
        let stride = try int("stride", default: TileDefaults.stride, range: ProtocolLimits.stride)
        let lastQueries = try int("lastQueries", default: TileDefaults.lastQueries, range: ProtocolLimits.lastQueries)
        let sinkTokens = try int("sinkTokens", default: TileDefaults.sinkTokens, range: ProtocolLimits.sinkTokens)
        if estimator == .antidiagonal, let size = ([queryBlockSize] + keyBlockSizes).first(where: { $0 % stride != 0 }) {
            let field = keyBlockSizes.count == 1 ? "blockSize" : "blockSizes"
            throw invalid("stride", accepted: "an integer in \(ProtocolLimits.stride.lowerBound)…\(ProtocolLimits.stride.upperBound) dividing queryBlockSize and \(keyBlockSizes.count == 1 ? "blockSize" : "every \(field) value") (\(size) is not a multiple of \(stride))")
        }
        return (queryBlockSize, stride, lastQueries, sinkTokens)
    }
}
