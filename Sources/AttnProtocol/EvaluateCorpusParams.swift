import JSONRPC

/// `evaluateCorpus` params (§10): sliding-window perplexity of a corpus, dense and per setting.
public struct EvaluateCorpusParams: MethodParams, Equatable {
    /// The whole corpus (exactly one of `text` and `path`).
    public var text: String?
    /// Absolute path of a UTF-8 file the daemon reads (`maxCorpusBytes` at most).
    public var path: String?
    /// Tokens per window, 2…nPositions; nil until resolved against the model (default nPositions).
    public var maxLength: Int?
    /// Tokens the window moves by, 1…maxLength; nil until resolved (default maxLength / 2).
    public var stride: Int?
    public var settings: [PruningSetting]
    /// Also return every window's values.
    public var perWindow: Bool
    /// Only the plan's windows `start..<end` (0-based indices): the result's totals cover them alone
    /// and `perWindow` lists them with their sums, so a client can spread one evaluation over many
    /// daemons and combine the windows into the whole evaluation's numbers (§10).
    public var windows: WindowRange?
    /// The whole plan's windows computed elsewhere, to combine and store as one run instead of
    /// computing them (§10); not in the cache key (`CanonicalForm.nonSemanticFields`).
    public var computedWindows: ComputedWindows?
    public var force: Bool

    /// The largest corpus file `path` may name, bytes (64 MiB).
    public static let maxCorpusBytes = 64 << 20
    /// `maxLength`'s range before the model's context is known.
    public static let maxLengthRange = 2...1_000_000

    public init(reading r: ParamReader) throws {
        switch try r.oneOf(["text", "path"]) {
        case "text": text = try r.string("text")
        default:
            let p = try r.string("path")
            try Self.checkPath(p, r)
            path = p
        }
        maxLength = try r.optionalInt("maxLength", range: Self.maxLengthRange)
        stride = try r.optionalInt("stride", range: 1...(maxLength ?? Self.maxLengthRange.upperBound))
        settings = try PruningSetting.readList(r, "settings")
        perWindow = try r.bool("perWindow", default: false)
        if let w = try r.optionalObject("windows") {
            let start = try w.int("start", range: 0...Int(Int32.max))
            let end = try w.int("end", range: (start + 1)...Int(Int32.max))
            windows = WindowRange(start: start, end: end)
        }
        if let c = try r.optionalObject("computedWindows") {
            guard windows == nil else {
                throw r.invalid("computedWindows", accepted: "computedWindows without windows (it holds the whole plan's windows)")
            }
            computedWindows = try ComputedWindows(reading: c)
        }
        force = try r.bool("force", default: false)
    }

    /// `maxLength` and `stride` filled in for a model with `nPositions` tokens of context (what
    /// the run stores and the cache compares). Throws -32602 naming the field when `maxLength`
    /// exceeds the context.
    public func resolved(nPositions: Int) throws -> EvaluateCorpusParams {
        var p = self
        let length = maxLength ?? nPositions
        guard length <= nPositions else {
            throw RPCError.invalidParams(field: "maxLength", value: .int(Int64(length)),
                                         accepted: "an integer in 2…\(nPositions) (the model's context)")
        }
        p.maxLength = length
        p.stride = stride ?? max(1, length / 2)
        if let s = p.stride, s > length {
            throw RPCError.invalidParams(field: "stride", value: .int(Int64(s)), accepted: "an integer in 1…\(length) (maxLength)")
        }
        return p
    }

    /// `path` must be absolute, free of NUL bytes and of `.` / `..` components (the daemon reads
    /// exactly the file named, never a path that climbs out of the folder it names).
    private static func checkPath(_ path: String, _ r: ParamReader) throws {
        let accepted = "an absolute path of a UTF-8 file (no NUL byte, no . or .. component)"
        guard path.hasPrefix("/"), !path.utf8.contains(0) else { throw r.invalid("path", accepted: accepted) }
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.isEmpty, !components.contains(where: { $0 == "." || $0 == ".." }) else {
            throw r.invalid("path", accepted: accepted)
        }
    }
}

/// A range of a sliding-window plan's windows, indices `start..<end` (0-based, end exclusive).
public struct WindowRange: Codable, Equatable, Sendable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }
}
