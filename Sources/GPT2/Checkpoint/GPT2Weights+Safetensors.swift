extension GPT2Weights {
    /// Reads every GPT-2 parameter from `file`, checking names and shapes against `config`.
    ///
    /// Accepts keys with and without the `transformer.` prefix; skips the `attn.bias` /
    /// `attn.masked_bias` buffers of older files; uses `lm_head.weight` when present and ties
    /// the LM head to `wte` otherwise. Conv1D weights keep their stored `[in, out]` layout.
    /// Aligned F32 tensors point into `file`'s mapping, which they keep alive.
    /// - Throws: `GPT2CheckpointError` naming the key (missing, wrong shape, duplicated,
    ///   unexpected); `SafetensorsError` when a tensor's dtype cannot be read as float.
    public init(reading file: SafetensorsFile, config: GPT2Config) throws {
        let path = file.mapping.url.path
        var storedName: [String: String] = [:]  // canonical key → name in the file
        for tensor in file.tensors {
            let key = GPT2TensorNames.canonical(tensor.name)
            if let other = storedName[key] {
                throw GPT2CheckpointError.duplicateTensor(key: key, names: [other, tensor.name].sorted(), file: path)
            }
            storedName[key] = tensor.name
        }

        let configHint = "config.json says n_layer = \(config.nLayer), n_embd = \(config.nEmbd), n_inner = \(config.nInner)"
        func load(_ key: String, _ shape: [Int]) throws -> FloatTensor {
            guard let name = storedName[key], let info = file.info(name) else {
                throw GPT2CheckpointError.missingTensor(key: key, file: path, configHint: configHint)
            }
            guard info.shape == shape else {
                throw GPT2CheckpointError.wrongShape(key: key, expected: shape, actual: info.shape, file: path)
            }
            return try file.floatTensor(name)
        }

        let c = config.nEmbd, i = config.nInner
        let wte = try load("wte.weight", [config.vocabSize, c])   // (V, C)
        let wpe = try load("wpe.weight", [config.nPositions, c])  // (P, C)
        var layers: [GPT2LayerWeights] = []
        for l in 0..<config.nLayer {
            let t = try GPT2TensorNames.layer(l, c: c, i: i).map { try load($0.key, $0.shape) }
            layers.append(GPT2LayerWeights(
                ln1Weight: t[0], ln1Bias: t[1], qkvWeight: t[2], qkvBias: t[3],
                attnProjWeight: t[4], attnProjBias: t[5], ln2Weight: t[6], ln2Bias: t[7],
                fcWeight: t[8], fcBias: t[9], mlpProjWeight: t[10], mlpProjBias: t[11]))
        }
        let lnFWeight = try load("ln_f.weight", [c])
        let lnFBias = try load("ln_f.bias", [c])
        let lmHead = storedName[GPT2TensorNames.lmHead] == nil ? nil : try load(GPT2TensorNames.lmHead, [config.vocabSize, c])

        let known = Set(GPT2TensorNames.expected(for: config).map(\.key)).union([GPT2TensorNames.lmHead])
        let unexpected = storedName.filter { key, _ in !known.contains(key) && !GPT2TensorNames.isAttentionBuffer(key) }
            .map(\.value).sorted()
        guard unexpected.isEmpty else { throw GPT2CheckpointError.unexpectedTensors(names: unexpected, file: path) }

        self.init(config: config, wte: wte, wpe: wpe, layers: layers, lnFWeight: lnFWeight, lnFBias: lnFBias, lmHead: lmHead)
    }
}
