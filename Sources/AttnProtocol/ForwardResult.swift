/// One predicted next token.
public struct TopToken: Codable, Equatable, Sendable {
    public var token: Int
    /// The token's decoded text (lossy UTF-8).
    public var piece: String
    /// Natural-log probability, ≤ 0.
    public var logprob: Double

    public init(token: Int, piece: String, logprob: Double) {
        self.token = token
        self.piece = piece
        self.logprob = logprob
    }
}

/// `forward`'s own members.
public struct ForwardResult: Codable, Equatable, Sendable {
    /// `[T]`: the most likely next token after each position.
    public var argmax: [Int]
    /// `[T][topK]`, logprob descending.
    public var top: [[TopToken]]
    /// Mean next-token NLL over positions 0…T−2, nats; null when T = 1.
    public var nll: Double?
    /// exp(nll); null when T = 1.
    public var perplexity: Double?
    /// `[T][V]` raw logits, only with `includeLogits`.
    public var logits: [[Float]]?

    public init(argmax: [Int], top: [[TopToken]], nll: Double?, perplexity: Double?, logits: [[Float]]? = nil) {
        self.argmax = argmax
        self.top = top
        self.nll = nll
        self.perplexity = perplexity
        self.logits = logits
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(argmax, forKey: .argmax)
        try c.encode(top, forKey: .top)
        try c.encode(nll, forKey: .nll)                 // null when T = 1
        try c.encode(perplexity, forKey: .perplexity)
        try c.encodeIfPresent(logits, forKey: .logits)
    }
}

/// `tokenize`'s result: one entry per token in each list.
public struct TokenizeResult: Codable, Equatable, Sendable {
    public var tokens: [Int]
    public var pieces: [String]
    /// `[start, end)` UTF-8 byte offsets into the text.
    public var offsets: [[Int]]

    public init(tokens: [Int], pieces: [String], offsets: [[Int]]) {
        self.tokens = tokens
        self.pieces = pieces
        self.offsets = offsets
    }
}

/// `model/load` and `model/info`'s result, and `initialize.model`.
public struct ModelInfo: Codable, Equatable, Sendable {
    public var name: String
    public var path: String
    public var fingerprint: String
    public var nLayer: Int
    public var nHead: Int
    public var nEmbd: Int
    /// Context length, tokens.
    public var nPositions: Int
    public var vocabSize: Int
    public var parameterCount: Int

    public init(name: String, path: String, fingerprint: String, nLayer: Int, nHead: Int, nEmbd: Int,
                nPositions: Int, vocabSize: Int, parameterCount: Int) {
        self.name = name
        self.path = path
        self.fingerprint = fingerprint
        self.nLayer = nLayer
        self.nHead = nHead
        self.nEmbd = nEmbd
        self.nPositions = nPositions
        self.vocabSize = vocabSize
        self.parameterCount = parameterCount
    }
}
