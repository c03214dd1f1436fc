import JSONRPC

/// A stored run as `runs/list` lists it (§10).
public struct RunSummary: Codable, Equatable, Sendable {
    public var id: String
    public var method: String
    public var status: String
    /// RFC 3339 UTC with milliseconds.
    public var createdAt: String
    /// null while running.
    public var finishedAt: String?
    /// Integer ms; null while running.
    public var durationMs: Int64?
    /// Model fingerprint.
    public var model: String
    /// The name the model was first loaded by.
    public var modelName: String?
    public var numTokens: Int?
    public var clientName: String?
    /// The method's `RunDigest` (`{}` unless completed).
    public var summary: JSONValue

    public init(id: String, method: String, status: String, createdAt: String, finishedAt: String?, durationMs: Int64?,
                model: String, modelName: String?, numTokens: Int?, clientName: String?, summary: JSONValue) {
        self.id = id
        self.method = method
        self.status = status
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.durationMs = durationMs
        self.model = model
        self.modelName = modelName
        self.numTokens = numTokens
        self.clientName = clientName
        self.summary = summary
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(method, forKey: .method)
        try c.encode(status, forKey: .status)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(durationMs, forKey: .durationMs)
        try c.encode(model, forKey: .model)
        try c.encode(modelName, forKey: .modelName)
        try c.encode(numTokens, forKey: .numTokens)
        try c.encode(clientName, forKey: .clientName)
        try c.encode(summary, forKey: .summary)
    }
}

/// The error a run ended with: `{code, message, data?}`.
public struct RunError: Codable, Equatable, Sendable {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: RPCErrorCode, message: String, data: JSONValue? = nil) {
        self.code = code.rawValue
        self.message = message
        self.data = data
    }
}

/// `runs/get`'s result: the summary fields plus `params`, `result` and `error`.
public struct Run: Codable, Equatable, Sendable {
    public var summary: RunSummary
    /// Canonical params, with `text` added back when the input was a text.
    public var params: JSONValue
    /// The result as first returned; null unless completed.
    public var result: JSONValue?
    public var error: RunError?

    public init(summary: RunSummary, params: JSONValue, result: JSONValue?, error: RunError?) {
        self.summary = summary
        self.params = params
        self.result = result
        self.error = error
    }

    private enum CodingKeys: String, CodingKey { case params, result, error }

    public init(from decoder: Decoder) throws {
        summary = try RunSummary(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        params = try c.decode(JSONValue.self, forKey: .params)
        result = try c.decodeIfPresent(JSONValue.self, forKey: .result).flatMap { $0.isNull ? nil : $0 }
        error = try c.decodeIfPresent(RunError.self, forKey: .error)
    }

    public func encode(to encoder: Encoder) throws {
        try summary.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(params, forKey: .params)
        try c.encode(result, forKey: .result)
        try c.encode(error, forKey: .error)
    }
}

public struct RunsListResult: Codable, Equatable, Sendable {
    /// Newest first.
    public var runs: [RunSummary]
    /// Pass as `before` for the next page; absent on the last.
    public var next: String?

    public init(runs: [RunSummary], next: String?) {
        self.runs = runs
        self.next = next
    }
}

/// `runs/delete`'s result (`deleted: true`).
public struct RunDeleted: Codable, Equatable, Sendable {
    public var deleted: Bool
    public init(deleted: Bool) { self.deleted = deleted }
}

/// `runs/prune`'s result: runs deleted.
public struct RunsPruned: Codable, Equatable, Sendable {
    public var deleted: Int
    public init(deleted: Int) { self.deleted = deleted }
}

public struct Figure: Codable, Equatable, Sendable {
    /// e.g. `sweep-divergence.svg`
    public var name: String
    /// A standalone SVG document.
    public var svg: String
    public init(name: String, svg: String) {
        self.name = name
        self.svg = svg
    }
}

/// `runs/report`'s result: `html`, or `figures` with `format: "svg"`.
public struct RunsReportResult: Codable, Equatable, Sendable {
    public var html: String?
    public var figures: [Figure]?
    public init(html: String? = nil, figures: [Figure]? = nil) {
        self.html = html
        self.figures = figures
    }
}

// The `summary` of a completed run in `runs/list`, per method (§10).

public struct ForwardDigest: Codable, Equatable, Sendable {
    public var nll: Double?
    public init(nll: Double?) { self.nll = nll }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(nll, forKey: .nll)
    }
}

public struct ProfileDigest: Codable, Equatable, Sendable {
    public var entrySparsity: Double
    public var sinkMass: Double
    public var entropy: Double
    public init(entrySparsity: Double, sinkMass: Double, entropy: Double) {
        self.entrySparsity = entrySparsity
        self.sinkMass = sinkMass
        self.entropy = entropy
    }
}

public struct SweepDigest: Codable, Equatable, Sendable {
    public var selection: Selection
    /// Number of points.
    public var points: Int
    public var maxPrunedBlockFraction: Double
    public var minAttentionKL: Double
    public init(selection: Selection, points: Int, maxPrunedBlockFraction: Double, minAttentionKL: Double) {
        self.selection = selection
        self.points = points
        self.maxPrunedBlockFraction = maxPrunedBlockFraction
        self.minAttentionKL = minAttentionKL
    }
}

public struct PerPositionDigest: Codable, Equatable, Sendable {
    public var metric: PositionMetric
    /// Mean over layers and positions.
    public var mean: Double
    public init(metric: PositionMetric, mean: Double) {
        self.metric = metric
        self.mean = mean
    }
}
