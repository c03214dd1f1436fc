import GPT2

/// GPT-2-small-shaped weights with small random values, built in memory (no checkpoint
/// loader). Every tensor owns its own buffer, so the big matrices are freed once
/// `GPT2Model.init` has packed them and the caller drops the `GPT2Weights`.
func randomWeights(config: GPT2Config, seed: UInt32 = 7) -> GPT2Weights {
    var state = seed
    func tensor(_ shape: [Int], scale: Float, center: Float = 0) -> FloatTensor {
        let n = shape.reduce(1, *)
        let storage = OwnedFloats(count: n)
        for i in 0..<n {
            state = state &* 1664525 &+ 1013904223
            storage.base[i] = center + scale * (Float(state >> 8) / Float(1 << 24) * 2 - 1)
        }
        return FloatTensor(shape: shape, pointer: UnsafePointer(storage.base), owner: storage)
    }
    let c = config.nEmbd, i = config.nInner
    let layers = (0..<config.nLayer).map { _ in
        GPT2LayerWeights(ln1Weight: tensor([c], scale: 0.1, center: 1), ln1Bias: tensor([c], scale: 0.02),
                         qkvWeight: tensor([c, 3 * c], scale: 0.04), qkvBias: tensor([3 * c], scale: 0.02),
                         attnProjWeight: tensor([c, c], scale: 0.04), attnProjBias: tensor([c], scale: 0.02),
                         ln2Weight: tensor([c], scale: 0.1, center: 1), ln2Bias: tensor([c], scale: 0.02),
                         fcWeight: tensor([c, i], scale: 0.04), fcBias: tensor([i], scale: 0.02),
                         mlpProjWeight: tensor([i, c], scale: 0.02), mlpProjBias: tensor([c], scale: 0.02))
    }
    return GPT2Weights(config: config, wte: tensor([config.vocabSize, c], scale: 0.04),
                       wpe: tensor([config.nPositions, c], scale: 0.01), layers: layers,
                       lnFWeight: tensor([c], scale: 0.1, center: 1), lnFBias: tensor([c], scale: 0.02))
}
