import JSONRPC

/// The input of an analysis (§9): exactly one of `text`, `tokens`, `texts`.
public enum AnalysisInput: Equatable, Sendable {
    case text(String)
    case tokens([Int])
    case texts([String])

    /// Reads the input fields; `allowTexts` for the methods that accept a list (§12).
    public static func read(_ r: ParamReader, allowTexts: Bool) throws -> AnalysisInput {
        if !allowTexts && r.has("texts") {
            // Named here: otherwise the request would be refused for lacking `text`/`tokens`.
            throw r.invalid("texts", accepted: "text or tokens: this method analyses one input (texts is for profileAttention and pruneSweep)")
        }
        let fields = allowTexts ? ["text", "tokens", "texts"] : ["text", "tokens"]
        switch try r.oneOf(fields) {
        case "text": return .text(try r.string("text"))
        case "tokens": return .tokens(try r.intArray("tokens", count: 1...Int.max, element: 0...Int.max))
        default: return .texts(try r.optionalStringArray("texts", count: ProtocolLimits.listLength) ?? [])
        }
    }

    /// True for `texts`, which always answers in the many-texts form (§12).
    public var isMulti: Bool { if case .texts = self { return true } else { return false } }

    /// The three optional fields a params type stores.
    public var fields: (text: String?, tokens: [Int]?, texts: [String]?) {
        switch self {
        case .text(let s): return (s, nil, nil)
        case .tokens(let t): return (nil, t, nil)
        case .texts(let l): return (nil, nil, l)
        }
    }

    /// Rebuilds the input from the stored fields (exactly one is set by `read`).
    public init(text: String?, tokens: [Int]?, texts: [String]?) {
        if let texts { self = .texts(texts) } else if let tokens { self = .tokens(tokens) } else { self = .text(text ?? "") }
    }
}

extension ParamReader {
    /// `selection`, one of `choices`, default `defaultValue`.
    func selection(_ choices: [Selection] = Selection.scoreRules, default defaultValue: Selection = .threshold) throws -> Selection {
        let name = try string("selection", oneOf: choices.map(\.rawValue), default: defaultValue.rawValue)
        return Selection(rawValue: name) ?? defaultValue
    }

    /// `seedEpsilon`, default 1e-12.
    func seedEpsilon() throws -> Double {
        try double("seedEpsilon", default: ProtocolLimits.seedEpsilonDefault, in: ProtocolLimits.seedEpsilon)
    }

    /// One rule value: in (0, 1] for threshold/coverage, in (0, 1024] for relativeThreshold, an
    /// integer k for topK, an integer window in tokens for window.
    func ruleValue(_ field: String, selection: Selection) throws -> Double {
        if selection.takesIntegers {
            let range = selection == .window ? ProtocolLimits.windowTokens : ProtocolLimits.topKValue
            return Double(try int(field, default: Int(selection.defaultPointValue), range: range))
        }
        return try double(field, default: selection.defaultPointValue, in: selection.valueInterval)
    }

    /// A list of rule values, defaulting to `selection.defaultSweepValues`: integers in
    /// `topKValue` for topK, in `windowTokens` for window, else in `selection.valueInterval`.
    func ruleValues(_ field: String, selection: Selection) throws -> [Double] {
        if selection.takesIntegers {
            guard has(field) else { return selection.defaultSweepValues }
            let range = selection == .window ? ProtocolLimits.windowTokens : ProtocolLimits.topKValue
            return try intArray(field, count: ProtocolLimits.listLength, element: range).map(Double.init)
        }
        return try doubleArray(field, default: selection.defaultSweepValues, count: ProtocolLimits.listLength,
                               element: selection.valueInterval)
    }
}
