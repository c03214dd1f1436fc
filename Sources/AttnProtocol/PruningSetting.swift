import JSONRPC

/// One pruning setting evaluated beside dense (`evaluateCorpus.settings[i]`): a rule, its value,
/// a block size and the keep policy, as `perPositionKL` names them. The one place a setting
/// object is read, so later fields (tile sizes, estimators, a calibration) are added here once.
public struct PruningSetting: Codable, Equatable, Sendable {
    public var selection: Selection
    /// τ in (0, 1] for threshold and coverage, c in (0, 1024] for relativeThreshold, an integer k for topK.
    public var threshold: Double
    /// Tokens per key block.
    public var blockSize: Int
    public var keepSink: Bool
    public var keepLocal: Bool
    /// A per-head configuration (`calibrate`'s `perHead`: a run id or a table) instead of the rule:
    /// any tile shape, estimator, or calibration. The fields above are then not given (`threshold` 0).
    public var perHead: PerHeadSpec?

    public static let defaultBlockSize = 32

    public init(selection: Selection, threshold: Double, blockSize: Int, keepSink: Bool = false, keepLocal: Bool = false) {
        self.selection = selection
        self.threshold = threshold
        self.blockSize = blockSize
        self.keepSink = keepSink
        self.keepLocal = keepLocal
    }

    /// Reads one setting object (`r`'s path names it in errors, e.g. `settings[2].threshold`).
    public init(reading r: ParamReader) throws {
        if let spec = try PerHeadSpec.read(r) {
            try PerHeadSpec.refuseFixedFields(r)
            perHead = spec
            (selection, threshold, keepSink, keepLocal) = (spec.table?.selection ?? .threshold, 0, false, false)
            blockSize = spec.table?.blockSize ?? Self.defaultBlockSize
            return
        }
        selection = try r.selection()
        threshold = try r.ruleValue("threshold", selection: selection)
        blockSize = try r.int("blockSize", default: Self.defaultBlockSize, range: ProtocolLimits.blockSize)
        keepSink = try r.bool("keepSink", default: false)
        keepLocal = try r.bool("keepLocal", default: false)
    }

    /// Reads `field` as a list of 0…`maxListLength` setting objects (absent: none); every
    /// object's unknown members are refused, named `field[i].member`.
    public static func readList(_ r: ParamReader, _ field: String) throws -> [PruningSetting] {
        guard let value = r.raw(field) else { return [] }
        guard case .array(let items) = value else { throw r.invalid(field, accepted: "an array of setting objects") }
        guard items.count <= ProtocolLimits.maxListLength else {
            throw RPCError.invalidParams(field: r.fieldPath(field), value: nil,
                                         accepted: "at most \(ProtocolLimits.maxListLength) settings (here \(items.count))")
        }
        return try items.enumerated().map { i, item in
            let path = "\(r.fieldPath(field))[\(i)]"
            guard item.objectValue != nil else {
                throw RPCError.invalidParams(field: path, value: item,
                                             accepted: "an object {selection, threshold, blockSize, keepSink, keepLocal} or {perHead}")
            }
            let child = try ParamReader(item, path: path)
            let setting = try PruningSetting(reading: child)
            try child.finish()
            return setting
        }
    }
}
