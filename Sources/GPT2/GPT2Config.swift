/// Hyper-parameters of a GPT-2-family model, as read from HuggingFace's `config.json`.
///
/// Only the architecture this project implements is representable: pre-LN blocks,
/// `gelu_new`, attention scaled by 1/sqrt(head_dim). Anything else is refused when the
/// config is parsed (see `GPT2Config.init(jsonData:)`).
public struct GPT2Config: Equatable, Sendable, Codable {
    /// Number of transformer blocks, `L`.
    public var nLayer: Int
    /// Attention heads per block, `H`.
    public var nHead: Int
    /// Residual width, `C`. `C % H == 0`.
    public var nEmbd: Int
    /// Context length: the largest `T` the model accepts, in tokens.
    public var nPositions: Int
    /// Vocabulary size, `V`.
    public var vocabSize: Int
    /// LayerNorm epsilon.
    public var layerNormEpsilon: Float
    /// Width of the MLP's hidden layer, `I` (`n_inner`, or `4 * C` when null).
    public var nInner: Int

    public init(nLayer: Int, nHead: Int, nEmbd: Int, nPositions: Int, vocabSize: Int,
                layerNormEpsilon: Float = 1e-5, nInner: Int? = nil) {
        self.nLayer = nLayer
        self.nHead = nHead
        self.nEmbd = nEmbd
        self.nPositions = nPositions
        self.vocabSize = vocabSize
        self.layerNormEpsilon = layerNormEpsilon
        self.nInner = nInner ?? 4 * nEmbd
    }

    /// Width of one attention head, `D = C / H`.
    public var headDim: Int { nEmbd / nHead }

    /// The GPT-2 small shape (124M parameters).
    public static let gpt2Small = GPT2Config(nLayer: 12, nHead: 12, nEmbd: 768, nPositions: 1024, vocabSize: 50257)
}
