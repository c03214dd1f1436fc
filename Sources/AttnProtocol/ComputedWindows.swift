import JSONRPC

/// `evaluateCorpus.computedWindows` (§10): every window of the plan, computed elsewhere (ranges
/// on other daemons, e.g. over Dask), handed to one daemon so that it combines them and stores
/// the evaluation as one run — the run a single daemon would have stored, under the same
/// canonical params (the field is not in the cache key, §8).
///
/// The records are the `perWindow` records the ranges returned, in window order; only their
/// plan fields and sums are read (the means they carry are accepted and recomputed from the
/// sums). The daemon checks them against its own plan and model, not the sums against the model:
/// it trusts daemons of the same model fingerprint.
public struct ComputedWindows: Encodable, Equatable, Sendable {
    /// Fingerprint of the model the windows were computed with; must be the loaded model's.
    public var model: String
    /// One record per window of the plan, `windows[i].index == i`.
    public var windows: [CorpusWindowResult]

    public init(model: String, windows: [CorpusWindowResult]) {
        self.model = model
        self.windows = windows
    }

    /// Reads `{model, windows: [record]}`; each record's counts and sums are range-checked here
    /// (errors name `computedWindows.windows[i].field`), the plan fields against the plan when the
    /// request runs.
    init(reading r: ParamReader) throws {
        model = try r.string("model")
        guard let value = r.raw("windows") else {
            throw RPCError.invalidParams(field: r.fieldPath("windows"), value: nil,
                                         accepted: "an array of the plan's window records (required)")
        }
        guard case .array(let items) = value, !items.isEmpty else {
            throw r.invalid("windows", accepted: "a non-empty array of the plan's window records, in window order")
        }
        windows = try items.enumerated().map { i, item in
            let child = try ParamReader(item, path: "\(r.fieldPath("windows"))[\(i)]")
            let record = try Self.record(child)
            try child.finish()
            return record
        }
    }

    private static func record(_ r: ParamReader) throws -> CorpusWindowResult {
        let count = 0...Int(Int32.max)
        let index = try r.int("index", range: count)
        let begin = try r.int("begin", range: count)
        let end = try r.int("end", range: (begin + 1)...Int(Int32.max))
        let targetLength = try r.int("targetLength", range: 1...(end - begin))
        let predictions = try r.int("predictions", range: 0...targetLength)
        let weight = try r.int("weight", range: 0...targetLength)
        _ = try r.optionalDouble("denseNLL", in: .atLeast(0))
        let denseNLLSum = try r.double("denseNLLSum", in: .atLeast(0))
        guard let value = r.raw("settings"), case .array(let items) = value else {
            throw r.invalid("settings", accepted: "an array of {nllSum, outputKLSum, top1Agreements}, one per setting (required)")
        }
        let settings = try items.enumerated().map { i, item -> CorpusWindowSetting in
            let s = try ParamReader(item, path: "\(r.fieldPath("settings"))[\(i)]")
            _ = try s.optionalDouble("nll", in: .atLeast(0))
            _ = try s.optionalDouble("outputKL")
            _ = try s.optionalDouble("top1Agreement", in: .closed(0, 1))
            let nllSum = try s.double("nllSum", in: .atLeast(0))
            let outputKLSum = try s.double("outputKLSum")
            let agreements = try s.int("top1Agreements", range: 0...predictions)
            let visible = try s.int("visibleBlocks", range: 0...Int.max)
            let setting = CorpusWindowSetting(nll: nil, outputKL: nil, top1Agreement: nil, nllSum: nllSum,
                                              outputKLSum: outputKLSum, top1Agreements: agreements,
                                              prunedBlocks: try s.int("prunedBlocks", range: 0...visible),
                                              visibleBlocks: visible)
            try s.finish()
            return setting
        }
        return CorpusWindowResult(index: index, begin: begin, end: end, targetLength: targetLength, predictions: predictions,
                                  weight: weight, denseNLL: nil, denseNLLSum: denseNLLSum, settings: settings)
    }
}
