/// The tensor names and shapes of a GPT-2 checkpoint, in HuggingFace's naming without the
/// `transformer.` prefix. `C` = n_embd, `I` = n_inner, `V` = vocab size, `P` = n_positions.
enum GPT2TensorNames {
    /// Older transformers versions save the `transformer.` prefix on every key except `lm_head`.
    static let prefix = "transformer."
    static let lmHead = "lm_head.weight"

    /// The canonical key of a stored name: without the `transformer.` prefix.
    static func canonical(_ stored: String) -> String {
        stored.hasPrefix(prefix) ? String(stored.dropFirst(prefix.count)) : stored
    }

    /// `h.{l}.attn.bias` (the causal mask) and `h.{l}.attn.masked_bias` (the fill value) are
    /// registered buffers, not parameters: older files save them, the forward pass rebuilds both.
    static func isAttentionBuffer(_ key: String) -> Bool {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "h" && Int(parts[1]) != nil && parts[2] == "attn"
            && (parts[3] == "bias" || parts[3] == "masked_bias")
    }

    /// Every parameter the model needs, with the shape `config` implies. Conv1D weights keep
    /// HuggingFace's `[in, out]` layout.
    static func expected(for config: GPT2Config) -> [(key: String, shape: [Int])] {
        let c = config.nEmbd, i = config.nInner
        var names: [(key: String, shape: [Int])] = [
            ("wte.weight", [config.vocabSize, c]),   // (V, C)
            ("wpe.weight", [config.nPositions, c]),  // (P, C)
        ]
        for l in 0..<config.nLayer {
            names += layer(l, c: c, i: i)
        }
        names += [("ln_f.weight", [c]), ("ln_f.bias", [c])]
        return names
    }

    /// Block `l`'s twelve parameters, in `GPT2LayerWeights` field order.
    static func layer(_ l: Int, c: Int, i: Int) -> [(key: String, shape: [Int])] {
        [
            ("h.\(l).ln_1.weight", [c]),
            ("h.\(l).ln_1.bias", [c]),
            ("h.\(l).attn.c_attn.weight", [c, 3 * c]),  // (C, 3C)
            ("h.\(l).attn.c_attn.bias", [3 * c]),
            ("h.\(l).attn.c_proj.weight", [c, c]),      // (C, C)
            ("h.\(l).attn.c_proj.bias", [c]),
            ("h.\(l).ln_2.weight", [c]),
            ("h.\(l).ln_2.bias", [c]),
            ("h.\(l).mlp.c_fc.weight", [c, i]),         // (C, I)
            ("h.\(l).mlp.c_fc.bias", [i]),
            ("h.\(l).mlp.c_proj.weight", [i, c]),       // (I, C)
            ("h.\(l).mlp.c_proj.bias", [c]),
        ]
    }
}
