/// Parameters of one transformer block. Shapes use `C` = n_embd, `I` = n_inner.
///
/// Linear weights keep HuggingFace's Conv1D layout `[in, out]`, so `y = x · W + b`
/// with `x` of shape `(T, in)`.
public struct GPT2LayerWeights: Sendable {
    public var ln1Weight: FloatTensor      // (C)        h.{l}.ln_1.weight
    public var ln1Bias: FloatTensor        // (C)        h.{l}.ln_1.bias
    public var qkvWeight: FloatTensor      // (C, 3C)    h.{l}.attn.c_attn.weight
    public var qkvBias: FloatTensor        // (3C)       h.{l}.attn.c_attn.bias
    public var attnProjWeight: FloatTensor // (C, C)     h.{l}.attn.c_proj.weight
    public var attnProjBias: FloatTensor   // (C)        h.{l}.attn.c_proj.bias
    public var ln2Weight: FloatTensor      // (C)        h.{l}.ln_2.weight
    public var ln2Bias: FloatTensor        // (C)        h.{l}.ln_2.bias
    public var fcWeight: FloatTensor       // (C, I)     h.{l}.mlp.c_fc.weight
    public var fcBias: FloatTensor         // (I)        h.{l}.mlp.c_fc.bias
    public var mlpProjWeight: FloatTensor  // (I, C)     h.{l}.mlp.c_proj.weight
    public var mlpProjBias: FloatTensor    // (C)        h.{l}.mlp.c_proj.bias

    public init(ln1Weight: FloatTensor, ln1Bias: FloatTensor, qkvWeight: FloatTensor, qkvBias: FloatTensor,
                attnProjWeight: FloatTensor, attnProjBias: FloatTensor, ln2Weight: FloatTensor, ln2Bias: FloatTensor,
                fcWeight: FloatTensor, fcBias: FloatTensor, mlpProjWeight: FloatTensor, mlpProjBias: FloatTensor) {
        self.ln1Weight = ln1Weight; self.ln1Bias = ln1Bias
        self.qkvWeight = qkvWeight; self.qkvBias = qkvBias
        self.attnProjWeight = attnProjWeight; self.attnProjBias = attnProjBias
        self.ln2Weight = ln2Weight; self.ln2Bias = ln2Bias
        self.fcWeight = fcWeight; self.fcBias = fcBias
        self.mlpProjWeight = mlpProjWeight; self.mlpProjBias = mlpProjBias
    }
}

/// All parameters of a GPT-2-family model. Immutable after loading; safe to share across
/// threads. `V` = vocab size, `P` = n_positions.
public struct GPT2Weights: Sendable {
    public var config: GPT2Config
    public var wte: FloatTensor            // (V, C)     wte.weight
    public var wpe: FloatTensor            // (P, C)     wpe.weight
    public var layers: [GPT2LayerWeights]  // L blocks
    public var lnFWeight: FloatTensor      // (C)        ln_f.weight
    public var lnFBias: FloatTensor        // (C)        ln_f.bias
    /// LM head `(V, C)`: `lm_head.weight` when the checkpoint has one, else `wte` (tied).
    public var lmHead: FloatTensor
    /// True when `lmHead` is `wte`.
    public var lmHeadIsTied: Bool

    public init(config: GPT2Config, wte: FloatTensor, wpe: FloatTensor, layers: [GPT2LayerWeights],
                lnFWeight: FloatTensor, lnFBias: FloatTensor, lmHead: FloatTensor? = nil) {
        self.config = config
        self.wte = wte; self.wpe = wpe; self.layers = layers
        self.lnFWeight = lnFWeight; self.lnFBias = lnFBias
        self.lmHead = lmHead ?? wte
        self.lmHeadIsTied = lmHead == nil
    }

    /// Number of parameters, counting a tied LM head once.
    public var parameterCount: Int {
        var n = wte.count + wpe.count + lnFWeight.count + lnFBias.count
        for l in layers {
            n += l.ln1Weight.count + l.ln1Bias.count + l.qkvWeight.count + l.qkvBias.count
            n += l.attnProjWeight.count + l.attnProjBias.count + l.ln2Weight.count + l.ln2Bias.count
            n += l.fcWeight.count + l.fcBias.count + l.mlpProjWeight.count + l.mlpProjBias.count
        }
        if !lmHeadIsTied { n += lmHead.count }
        return n
    }
}
