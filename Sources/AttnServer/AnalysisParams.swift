import AttentionAnalysis
import Foundation
import JSONRPC

/// Params shared by the sweep-like methods: the keep policy and the seedKL clamp.
private func readSeedEpsilon(_ r: ParamReader) throws -> Double {
    try r.double("seedEpsilon", default: SeedEpsilon.default, in: .closed(SeedEpsilon.lowest, SeedEpsilon.highest))
}

/// Reads rule values for `selection`: (0, 1] for threshold/coverage, integers ≥ 1 for topK.
private func readRuleValues(_ r: ParamReader, field: String, selection: SelectionRule, defaults: [Double]) throws -> [Double] {
    switch selection {
    case .topK:
        if r.has(field) { return try r.intArray(field, count: 1...ServerConfiguration.maxListLength, element: 1...1_000_000).map(Double.init) }
        return defaults
    default:
        return try r.doubleArray(field, default: defaults, count: 1...ServerConfiguration.maxListLength, element: .openClosed(0, 1))
    }
}

/// Default rule values per selection rule (Protocol/README.md §10).
func defaultRuleValues(_ selection: SelectionRule) -> [Double] {
    switch selection {
    case .threshold: return [0.01, 0.005, 0.002, 0.001, 0.0005]
    case .coverage: return [0.9, 0.95, 0.99, 0.999]
    case .topK: return [1, 2, 4, 8]
    }
}

private func jsonNumbers(_ values: [Double], integers: Bool) -> JSONValue {
    .array(values.map { integers ? .int(Int64($0)) : .double($0) })
}

/// `profileAttention` params.
struct ProfileParams {
    var input: InputSpec
    var options: ProfileOptions
    var includeAttention: Bool
    var exportPath: String?
    var overwrite: Bool
    var force: Bool

    /// Largest L·H·T² returned inline with `includeAttention`.
    static let maxInlineEntries = ServerConfiguration.maxInlineEntries

    init(_ r: ParamReader) throws {
        input = try InputSpec.read(r, allowTexts: true)
        let blockSize = try r.int("blockSize", default: 4, range: 1...4096)
        let thresholds = try r.doubleArray("thresholds", default: [0.05, 0.1, 0.2, 0.5], count: 1...ServerConfiguration.maxListLength, element: .openClosed(0, 1))
        let entry = try r.double("entryThreshold", default: 0.05, in: .openClosed(0, 1))
        options = ProfileOptions(blockSize: blockSize, thresholds: thresholds, entryThreshold: entry)
        includeAttention = try r.bool("includeAttention", default: false)
        exportPath = try r.optionalString("exportPath")
        overwrite = try r.bool("overwrite", default: false)
        force = try r.bool("force", default: false)
        if let p = exportPath {
            do { try NpyWriter.checkDestination(p, overwrite: overwrite) } catch let failure as NpyWriter.Failure {
                throw failure.rpcError
            }
        }
        if input.isMulti && includeAttention { throw r.invalid("includeAttention", accepted: "false with `texts`") }
        if input.isMulti && exportPath != nil { throw r.invalid("exportPath", accepted: "absent with `texts`") }
    }

    var canonical: [String: JSONValue] {
        var c = input.canonicalFields
        c["blockSize"] = .int(Int64(options.blockSize))
        c["thresholds"] = jsonNumbers(options.thresholds, integers: false)
        c["entryThreshold"] = .double(options.entryThreshold)
        c["includeAttention"] = .bool(includeAttention)
        return c
    }
}

/// `pruneSweep` params.
struct SweepParams {
    var input: InputSpec
    var selection: SelectionRule
    var values: [Double]
    var blockSizes: [Int]
    var keep: KeepPolicy
    var endToEnd: Bool
    var seedEpsilon: Double
    var maxAttentionKL: Double?
    var maxOutputKL: Double?
    var force: Bool

    init(_ r: ParamReader) throws {
        input = try InputSpec.read(r, allowTexts: true)
        let name = try r.string("selection", oneOf: SelectionRule.allCases.map(\.rawValue), default: "threshold")
        selection = SelectionRule(rawValue: name) ?? .threshold
        values = try readRuleValues(r, field: "thresholds", selection: selection, defaults: defaultRuleValues(selection))
        blockSizes = try r.intArray("blockSizes", default: [16, 32], count: 1...ServerConfiguration.maxListLength, element: 1...4096)
        keep = KeepPolicy(keepSink: try r.bool("keepSink", default: false), keepLocal: try r.bool("keepLocal", default: false))
        endToEnd = try r.bool("endToEnd", default: false)
        seedEpsilon = try readSeedEpsilon(r)
        maxAttentionKL = try r.optionalDouble("maxAttentionKL", in: .greaterThan(0))
        maxOutputKL = try r.optionalDouble("maxOutputKL", in: .greaterThan(0))
        force = try r.bool("force", default: false)
        if maxOutputKL != nil && !endToEnd {
            throw r.invalid("maxOutputKL", accepted: "only with endToEnd: true (outputKL needs the pruned forward pass)")
        }
    }

    var points: [SweepPoint] { SweepPoint.grid(selection: selection, values: values, blockSizes: blockSizes, keep: keep) }

    var canonical: [String: JSONValue] {
        var c = input.canonicalFields
        c["selection"] = .string(selection.rawValue)
        c["thresholds"] = jsonNumbers(values, integers: selection == .topK)
        c["blockSizes"] = .array(blockSizes.map { .int(Int64($0)) })
        c["keepSink"] = .bool(keep.keepSink)
        c["keepLocal"] = .bool(keep.keepLocal)
        c["endToEnd"] = .bool(endToEnd)
        c["seedEpsilon"] = .double(seedEpsilon)
        if let m = maxAttentionKL { c["maxAttentionKL"] = .double(m) }
        if let m = maxOutputKL { c["maxOutputKL"] = .double(m) }
        return c
    }
}

/// `perPositionKL` params.
struct PerPositionParams {
    var input: InputSpec
    var point: SweepPoint
    var metric: PerPositionMetric
    var seedEpsilon: Double
    var segmentSize: Int?
    var force: Bool

    init(_ r: ParamReader) throws {
        input = try InputSpec.read(r, allowTexts: false)
        let name = try r.string("selection", oneOf: SelectionRule.allCases.map(\.rawValue), default: "threshold")
        let selection = SelectionRule(rawValue: name) ?? .threshold
        let value: Double
        if selection == .topK {
            value = Double(try r.int("threshold", default: 4, range: 1...1_000_000))
        } else {
            value = try r.double("threshold", default: selection == .coverage ? 0.99 : 0.002, in: .openClosed(0, 1))
        }
        let blockSize = try r.int("blockSize", default: 32, range: 1...4096)
        let metricName = try r.string("metric", oneOf: PerPositionMetric.allCases.map(\.rawValue), default: "attentionKL")
        metric = PerPositionMetric(rawValue: metricName) ?? .attentionKL
        let keep = KeepPolicy(keepSink: try r.bool("keepSink", default: false), keepLocal: try r.bool("keepLocal", default: false))
        point = SweepPoint(selection: selection, blockSize: blockSize, value: value, keep: keep)
        seedEpsilon = try readSeedEpsilon(r)
        segmentSize = try r.optionalInt("segmentSize", range: 1...4096)
        force = try r.bool("force", default: false)
    }

    var canonical: [String: JSONValue] {
        var c: [String: JSONValue] = [
            "selection": .string(point.selection.rawValue),
            "threshold": point.selection == .topK ? .int(Int64(point.value)) : .double(point.value),
            "blockSize": .int(Int64(point.blockSize)), "metric": .string(metric.rawValue),
            "keepSink": .bool(point.keep.keepSink), "keepLocal": .bool(point.keep.keepLocal),
            "seedEpsilon": .double(seedEpsilon),
        ]
        if let s = segmentSize { c["segmentSize"] = .int(Int64(s)) }
        return c
    }
}
