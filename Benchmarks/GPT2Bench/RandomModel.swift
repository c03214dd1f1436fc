import GPT2

/// One tensor of the random GPT-2-shaped model: HuggingFace key, shape, and the uniform range
/// `center ± scale` its values are drawn from.
struct RandomTensorSpec {
    let key: String
    let shape: [Int]
    let scale: Float
    let center: Float
    var count: Int { shape.reduce(1, *) }
}

/// The tensors of a GPT-2-family model with small random values, in file order (HuggingFace
/// keys without the `transformer.` prefix; Conv1D weights `[in, out]`; LM head tied to `wte`).
func randomTensorSpecs(config: GPT2Config) -> [RandomTensorSpec] {
    let c = config.nEmbd, i = config.nInner
    func spec(_ key: String, _ shape: [Int], _ scale: Float, _ center: Float = 0) -> RandomTensorSpec {
        RandomTensorSpec(key: key, shape: shape, scale: scale, center: center)
    }
    var specs = [spec("wte.weight", [config.vocabSize, c], 0.04), spec("wpe.weight", [config.nPositions, c], 0.01)]
    for l in 0..<config.nLayer {
        specs += [
            spec("h.\(l).ln_1.weight", [c], 0.1, 1), spec("h.\(l).ln_1.bias", [c], 0.02),
            spec("h.\(l).attn.c_attn.weight", [c, 3 * c], 0.04), spec("h.\(l).attn.c_attn.bias", [3 * c], 0.02),
            spec("h.\(l).attn.c_proj.weight", [c, c], 0.04), spec("h.\(l).attn.c_proj.bias", [c], 0.02),
            spec("h.\(l).ln_2.weight", [c], 0.1, 1), spec("h.\(l).ln_2.bias", [c], 0.02),
            spec("h.\(l).mlp.c_fc.weight", [c, i], 0.04), spec("h.\(l).mlp.c_fc.bias", [i], 0.02),
            spec("h.\(l).mlp.c_proj.weight", [i, c], 0.02), spec("h.\(l).mlp.c_proj.bias", [c], 0.02),
        ]
    }
    return specs + [spec("ln_f.weight", [c], 0.1, 1), spec("ln_f.bias", [c], 0.02)]
}

/// Deterministic uniform values, one LCG stream over the tensors in spec order.
struct RandomFill {
    private var state: UInt32
    init(seed: UInt32 = 7) { state = seed }

    mutating func fill(_ out: UnsafeMutablePointer<Float>, _ spec: RandomTensorSpec) {
        for i in 0..<spec.count {
            state = state &* 1664525 &+ 1013904223
            out[i] = spec.center + spec.scale * (Float(state >> 8) / Float(1 << 24) * 2 - 1)
        }
    }
}

/// GPT-2-shaped weights with small random values, built in memory (no checkpoint loader).
/// Every tensor owns its own buffer, so the big matrices are freed once `GPT2Model.init` has
/// packed them and the caller drops the `GPT2Weights`. Same values as `writeRandomModel`.
func randomWeights(config: GPT2Config, seed: UInt32 = 7) -> GPT2Weights {
    var fill = RandomFill(seed: seed)
    // Built in spec order, consumed in the same order (GPT2LayerWeights' field order).
    var built = randomTensorSpecs(config: config).map { spec -> FloatTensor in
        let storage = OwnedFloats(count: spec.count)
        fill.fill(storage.base, spec)
        return FloatTensor(shape: spec.shape, pointer: UnsafePointer(storage.base), owner: storage)
    }.makeIterator()
    func next() -> FloatTensor { built.next() ?? FloatTensor(shape: [0], values: []) }
    let wte = next(), wpe = next()
    let layers = (0..<config.nLayer).map { _ in
        GPT2LayerWeights(ln1Weight: next(), ln1Bias: next(), qkvWeight: next(), qkvBias: next(),
                         attnProjWeight: next(), attnProjBias: next(), ln2Weight: next(), ln2Bias: next(),
                         fcWeight: next(), fcBias: next(), mlpProjWeight: next(), mlpProjBias: next())
    }
    let lnFWeight = next(), lnFBias = next()
    return GPT2Weights(config: config, wte: wte, wpe: wpe, layers: layers, lnFWeight: lnFWeight, lnFBias: lnFBias)
}
