import AttentionAnalysis
import AttnProtocol
import JSONRPC
import RunStore

// The decoded protocol params as the library's settings, and the library's results as the
// protocol's result types. The library knows nothing of the wire; the protocol types are
// authoritative, and `wire(_:)` decodes the library's encoding into them, so a field that
// one side renames fails loudly (in the tests) instead of vanishing.

extension AttentionAnalysis.SelectionRule {
    /// - Precondition: not `.window`: the params refuse it except with `estimator: "streaming"`,
    ///   which takes the tile path (`TileSelection`), never the per-row rule.
    init(_ selection: Selection) {
        switch selection {
        case .threshold: self = .threshold
        case .coverage: self = .coverage
        case .topK: self = .topK
        case .relativeThreshold: self = .relativeThreshold
        case .window: preconditionFailure("window is streaming's selection; the params send it down the tile path")
        }
    }
}

extension ProfileAttentionParams {
    var options: ProfileOptions {
        ProfileOptions(blockSize: blockSize, thresholds: thresholds, entryThreshold: entryThreshold, roles: roles)
    }
    var roles: HeadRoleOptions {
        HeadRoleOptions(localWindow: localWindow, streamingSinkTokens: streamingSinkTokens, streamingWindow: streamingWindow,
                        streamingMinMass: streamingMinMass, roleThreshold: roleThreshold)
    }
}

extension PruneSweepParams {
    var keep: KeepPolicy { KeepPolicy(keepSink: keepSink, keepLocal: keepLocal) }
    var points: [AttentionAnalysis.SweepSetting] {
        AttentionAnalysis.SweepSetting.grid(selection: SelectionRule(selection), values: thresholds, blockSizes: blockSizes, keep: keep)
    }
}

extension PerPositionKLParams {
    var keep: KeepPolicy { KeepPolicy(keepSink: keepSink, keepLocal: keepLocal) }
    /// The per-row rule. - Precondition: not `usesTiles` (window is a tile pattern).
    var point: AttentionAnalysis.SweepSetting {
        AttentionAnalysis.SweepSetting(selection: SelectionRule(selection), blockSize: blockSize, value: threshold,
                                     keep: KeepPolicy(keepSink: keepSink, keepLocal: keepLocal))
    }
    var positionMetric: PerPositionMetric {
        switch metric {
        case .attentionKL: return .attentionKL
        case .seedKL: return .seedKL
        case .prunedMass: return .prunedMass
        }
    }
}

/// A library result as the protocol type with the same JSON shape. A field of the library value
/// that the protocol type would drop (decoding ignores unknown keys) is refused too, so a field
/// added to one side only fails every test that reaches this bridge.
func wire<T: Codable>(_ value: some Encodable, as type: T.Type = T.self) throws -> T {
    let decoded: T
    let original: JSONValue
    do {
        original = try JSONValue(encoding: value)
        decoded = try original.decode(T.self)
    } catch {
        throw RPCError(.internalError, "internal error: a \(Swift.type(of: value)) does not have the shape of \(T.self): \(error)")
    }
    if let path = droppedField(original, (try? JSONValue(encoding: decoded)) ?? .null, path: "") {
        throw RPCError(.internalError, "internal error: \(Swift.type(of: value)) has a field \(path) that \(T.self) drops")
    }
    return decoded
}

/// The first member path of `original` (not null) missing from `kept`, or nil.
private func droppedField(_ original: JSONValue, _ kept: JSONValue, path: String) -> String? {
    switch (original, kept) {
    case let (.object(a), .object(b)):
        for (key, value) in a.sorted(by: { $0.key < $1.key }) where value != .null {
            guard let other = b[key] else { return path + "." + key }
            if let inner = droppedField(value, other, path: path + "." + key) { return inner }
        }
        return nil
    case let (.array(a), .array(b)):
        for (i, (x, y)) in zip(a, b).enumerated() {
            if let inner = droppedField(x, y, path: path + "[\(i)]") { return inner }
        }
        return nil
    default:
        return nil
    }
}

extension SweepPointRow {
    /// The stored columns of a protocol sweep point (its per-layer breakdown stays in the result).
    init(_ p: AttnProtocol.SweepPoint) {
        self.init(selection: p.selection.rawValue, blockSize: p.blockSize, threshold: p.threshold,
                  prunedBlockFraction: p.prunedBlockFraction, seedPrunedFraction: p.seedPrunedFraction,
                  prunedMass: p.prunedMass, attentionKL: p.attentionKL, seedKL: p.seedKL,
                  fullyPrunedRows: p.fullyPrunedRows, outputKL: p.endToEnd?.outputKL,
                  top1Agreement: p.endToEnd?.top1Agreement, nllFull: p.endToEnd?.nllFull,
                  nllPruned: p.endToEnd?.nllPruned)
    }
}
