import JSONRPC

/// `{stored: true}` or `{stored: false, reason}` (§8).
public struct History: Codable, Equatable, Sendable {
    public var stored: Bool
    public var reason: String?

    public init(stored: Bool, reason: String? = nil) {
        self.stored = stored
        self.reason = reason
    }
}

/// The five fields every analysis result carries (§8).
public struct AnalysisFields: Codable, Equatable, Sendable {
    /// Lowercase UUID of the run that computed the result.
    public var runId: String
    /// Tokens of the input (for `texts`: the sum over texts).
    public var numTokens: Int
    /// Fingerprint of the model, lowercase hex.
    public var model: String
    /// True when read from the history instead of computed.
    public var cached: Bool
    public var history: History

    public init(runId: String, numTokens: Int, model: String, cached: Bool, history: History) {
        self.runId = runId
        self.numTokens = numTokens
        self.model = model
        self.cached = cached
        self.history = history
    }
}

/// An analysis result on the wire: the method's own members and `AnalysisFields`, in one
/// flat object.
public struct AnalysisResult<Body: Codable & Sendable>: Codable, Sendable {
    public var body: Body
    public var fields: AnalysisFields

    public init(body: Body, fields: AnalysisFields) {
        self.body = body
        self.fields = fields
    }

    public init(from decoder: Decoder) throws {
        body = try Body(from: decoder)
        fields = try AnalysisFields(from: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        try body.encode(to: encoder)
        try fields.encode(to: encoder)
    }
}

/// The method results' types, by method name (what a client decodes `result` into).
public typealias ForwardResponse = AnalysisResult<ForwardResult>
public typealias ProfileAttentionResponse = AnalysisResult<ProfileAttentionResult>
public typealias PruneSweepResponse = AnalysisResult<PruneSweepResult>
public typealias PerPositionKLResponse = AnalysisResult<PerPositionKLResult>
