import JSONRPC

/// A per-head pruning configuration (Protocol/README.md §10 `calibrate`, "perHead"): one tile
/// shape and estimator for the model, and per (layer, head) a rule value or dense. What
/// `calibrate` produces and `pruneSweep` / `perPositionKL` apply with `perHead`.
public struct PerHeadTable: Codable, Equatable, Sendable, TileRuleParams {
    public var estimator: Estimator
    public var selection: Selection
    /// Queries per tile (Bq).
    public var queryBlockSize: Int
    /// Keys per tile (Bk), tokens.
    public var blockSize: Int
    public var stride: Int
    public var lastQueries: Int
    public var sinkTokens: Int
    public var keepSink: Bool
    public var keepLocal: Bool
    /// `[L][H]`: the head's rule value, or null when the head attends densely.
    public var values: [[Double?]]

    public init(estimator: Estimator, selection: Selection, queryBlockSize: Int, blockSize: Int, stride: Int,
                lastQueries: Int, sinkTokens: Int, keepSink: Bool, keepLocal: Bool, values: [[Double?]]) {
        self.estimator = estimator
        self.selection = selection
        self.queryBlockSize = queryBlockSize
        self.blockSize = blockSize
        self.stride = stride
        self.lastQueries = lastQueries
        self.sinkTokens = sinkTokens
        self.keepSink = keepSink
        self.keepLocal = keepLocal
        self.values = values
    }

    /// Reads an inline table (the fields above; `estimator`, `selection`, `blockSize` and `values`
    /// required, the rest with `pruneSweep`'s defaults); errors name `perHead.<field>`.
    static func read(_ r: ParamReader) throws -> PerHeadTable {
        guard r.has("estimator") else { throw r.invalid("estimator", accepted: "one of " + Estimator.allCases.map(\.rawValue).joined(separator: ", ")) }
        let (estimator, selection) = try r.estimatorAndSelection()
        let blockSize = try r.int("blockSize", range: ProtocolLimits.blockSize)
        let shape = try r.tileShape(estimator: estimator, keyBlockSizes: [blockSize])
        let keepSink = try r.bool("keepSink", default: false)
        let keepLocal = try r.bool("keepLocal", default: false)
        guard let rows = r.raw("values")?.arrayValue, !rows.isEmpty else {
            throw r.invalid("values", accepted: "an array [L][H] of rule values or null (dense), one row per layer")
        }
        var values: [[Double?]] = []
        for (l, row) in rows.enumerated() {
            guard let heads = row.arrayValue, !heads.isEmpty, heads.count == rows[0].arrayValue?.count else {
                throw RPCError.invalidParams(field: r.fieldPath("values[\(l)]"), value: row,
                                             accepted: "an array of H rule values or null, the same H for every layer")
            }
            values.append(try heads.enumerated().map { h, v -> Double? in
                if v == .null { return nil }
                guard let x = v.doubleValue, selection.accepts(x) else {
                    throw RPCError.invalidParams(field: r.fieldPath("values[\(l)][\(h)]"), value: v,
                                                 accepted: "null (dense) or \(selection.acceptedValues)")
                }
                return x
            })
        }
        return PerHeadTable(estimator: estimator, selection: selection, queryBlockSize: shape.queryBlockSize,
                            blockSize: blockSize, stride: shape.stride, lastQueries: shape.lastQueries,
                            sinkTokens: shape.sinkTokens, keepSink: keepSink, keepLocal: keepLocal, values: values)
    }

    /// Layers × heads of `values`.
    public var layers: Int { values.count }
    public var heads: Int { values.first?.count ?? 0 }

    /// Throws -32602 on `perHead.values` unless the table has `layers` rows of `heads` values.
    public func check(layers l: Int, heads h: Int, field: String = "perHead") throws {
        guard layers == l, heads == h else {
            throw RPCError.invalidParams(field: "\(field).values", value: nil,
                                         accepted: "\(l) rows (layers) of \(h) values (heads), the loaded model's shape; the table has \(layers) × \(heads)")
        }
    }
}

/// The `perHead` param of `pruneSweep` and `perPositionKL`: a stored calibration, or a table.
public enum PerHeadSpec: Codable, Equatable, Sendable {
    /// The `calibrate` run whose `perHead` table applies (resolved by the daemon before the cache
    /// key is formed, so the key holds the table itself).
    case calibrationRun(String)
    case table(PerHeadTable)

    /// Reads `perHead` (nil when absent): `{calibrationRunId}` or an inline `PerHeadTable`.
    static func read(_ r: ParamReader) throws -> PerHeadSpec? {
        guard let p = try r.optionalObject("perHead") else { return nil }
        if p.has("calibrationRunId") { return .calibrationRun(try p.string("calibrationRunId")) }
        return .table(try PerHeadTable.read(p))
    }

    public init(from decoder: Decoder) throws {
        let value = try JSONValue(from: decoder)
        let r = try ParamReader(value, path: "perHead")
        if r.has("calibrationRunId") { self = .calibrationRun(try r.string("calibrationRunId")) }
        else { self = .table(try PerHeadTable.read(r)) }
        try r.finish()
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case let .calibrationRun(id):
            var c = encoder.container(keyedBy: RunKey.self)
            try c.encode(id, forKey: .calibrationRunId)
        case let .table(t): try t.encode(to: encoder)
        }
    }

    private enum RunKey: String, CodingKey { case calibrationRunId }

    /// The table; nil until a run id is resolved.
    public var table: PerHeadTable? { if case let .table(t) = self { return t } else { return nil } }

    /// The params `perHead` fixes; giving one of them too is refused.
    static let fixedFields = ["selection", "thresholds", "threshold", "blockSizes", "blockSize", "queryBlockSize", "estimator",
                              "stride", "lastQueries", "sinkTokens", "keepSink", "keepLocal"]

    /// Refuses a field `perHead` already fixes, naming it.
    static func refuseFixedFields(_ r: ParamReader) throws {
        if let field = fixedFields.first(where: { r.has($0) }) {
            throw r.invalid(field, accepted: "absent with perHead (the per-head table fixes it)")
        }
    }
}

extension Selection {
    /// `value` is a rule value of this selection (§10 ranges).
    public func accepts(_ value: Double) -> Bool {
        switch self {
        case .topK: return value == value.rounded() && ProtocolLimits.topKValue.contains(Int(exactly: value) ?? 0)
        case .window: return value == value.rounded() && ProtocolLimits.windowTokens.contains(Int(exactly: value) ?? 0)
        case .threshold, .coverage, .relativeThreshold: return valueInterval.contains(value)
        }
    }

    /// The accepted rule values, for messages.
    public var acceptedValues: String {
        switch self {
        case .topK: return "an integer k in \(ProtocolLimits.topKValue.lowerBound)…\(ProtocolLimits.topKValue.upperBound)"
        case .window: return "an integer window in \(ProtocolLimits.windowTokens.lowerBound)…\(ProtocolLimits.windowTokens.upperBound) tokens"
        case .relativeThreshold: return "a number in (0, 1024]"
        case .threshold, .coverage: return "a number in (0, 1]"
        }
    }

    /// The candidate rule values `calibrate` searches by default (§10), from the most pruning to
    /// the least; `maxTokens` (the longest input) bounds topK (key blocks) and window.
    public func calibrationCandidates(maxTokens: Int, keyBlockSize: Int) -> [Double] {
        switch self {
        case .threshold:
            return [0.5, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.005, 0.003, 0.002, 0.001, 5e-4, 3e-4, 2e-4, 1e-4,
                    5e-5, 2e-5, 1e-5, 1e-6]
        case .relativeThreshold:
            // c = 1 is "below uniform" for the oracle; estimators' block shares need c up to Bk.
            return [64, 32, 16, 8, 4, 2, 1, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625]
        case .coverage:
            return [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999]
        case .topK:
            let blocks = max(1, (maxTokens + keyBlockSize - 1) / keyBlockSize)
            return [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048, 4096]
                .filter { $0 < blocks }.map(Double.init) + [Double(blocks)]
        case .window:
            let top = min(max(1, maxTokens), ProtocolLimits.windowTokens.upperBound)
            return [1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096]
                .filter { $0 < top }.map(Double.init) + [Double(top)]
        }
    }
}
