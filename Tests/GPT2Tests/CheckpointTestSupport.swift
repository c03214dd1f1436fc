import Foundation

/// A tiny GPT-2 checkpoint written by the tests: L = 2, H = 2, C = 4, P = 5, V = 7,
/// I = 8 (explicit n_inner) or 16 (n_inner null → 4·C).
///
/// Every element has a value derived from its tensor's index in `parameterNames` and its
/// position, exactly representable in float32, so a test can check every loaded element.
struct TinyGPT2 {
    static let nLayer = 2, nHead = 2, nEmbd = 4, nPositions = 5, vocabSize = 7

    var nInner: Int? = 8
    /// Store keys as `transformer.<key>` (older transformers).
    var prefixed = false
    /// Store the `h.{l}.attn.bias` / `attn.masked_bias` buffers of older files.
    var withBuffers = false
    /// Store an explicit `lm_head.weight`.
    var withLMHead = false
    /// Keys (canonical) to leave out of the file.
    var omitted: Set<String> = []
    /// Keys (canonical) stored with another shape.
    var reshaped: [String: [Int]] = [:]
    /// Extra tensors appended verbatim.
    var extra: [TestTensor] = []
    /// Extra config.json fields, raw JSON text by key (override the defaults).
    var configFields: [String: String] = [:]

    var innerWidth: Int { nInner ?? 4 * Self.nEmbd }

    /// All parameter names in HF order, with the shapes of this config (hand-written here,
    /// independently of the loader's table).
    var parameterNames: [(key: String, shape: [Int])] {
        let c = Self.nEmbd, i = innerWidth
        var list: [(key: String, shape: [Int])] = [("wte.weight", [Self.vocabSize, c]), ("wpe.weight", [Self.nPositions, c])]
        for l in 0..<Self.nLayer {
            list += [
                ("h.\(l).ln_1.weight", [c]), ("h.\(l).ln_1.bias", [c]),
                ("h.\(l).attn.c_attn.weight", [c, 3 * c]), ("h.\(l).attn.c_attn.bias", [3 * c]),
                ("h.\(l).attn.c_proj.weight", [c, c]), ("h.\(l).attn.c_proj.bias", [c]),
                ("h.\(l).ln_2.weight", [c]), ("h.\(l).ln_2.bias", [c]),
                ("h.\(l).mlp.c_fc.weight", [c, i]), ("h.\(l).mlp.c_fc.bias", [i]),
                ("h.\(l).mlp.c_proj.weight", [i, c]), ("h.\(l).mlp.c_proj.bias", [c]),
            ]
        }
        list += [("ln_f.weight", [c]), ("ln_f.bias", [c])]
        if withLMHead { list.append(("lm_head.weight", [Self.vocabSize, c])) }
        return list
    }

    /// Element `i` of tensor number `k`: k + i/64 (negative for odd k), exact in float32.
    static func value(tensor k: Int, element i: Int) -> Float {
        (Float(k) + Float(i) / 64) * (k % 2 == 0 ? 1 : -1)
    }

    func configJSON() -> String {
        var fields: [String: String] = [
            "model_type": "\"gpt2\"", "activation_function": "\"gelu_new\"",
            "n_layer": "\(Self.nLayer)", "n_head": "\(Self.nHead)", "n_embd": "\(Self.nEmbd)",
            "n_positions": "\(Self.nPositions)", "n_ctx": "\(Self.nPositions)", "vocab_size": "\(Self.vocabSize)",
            "layer_norm_epsilon": "1e-05", "n_inner": nInner.map(String.init) ?? "null",
            "scale_attn_by_inverse_layer_idx": "false", "reorder_and_upcast_attn": "false",
        ]
        fields.merge(configFields) { _, new in new }
        return "{\n" + fields.sorted { $0.key < $1.key }.map { "  \"\($0.key)\": \($0.value)" }.joined(separator: ",\n") + "\n}\n"
    }

    func tensors() -> [TestTensor] {
        var list: [TestTensor] = []
        for (k, entry) in parameterNames.enumerated() where !omitted.contains(entry.key) {
            let shape = reshaped[entry.key] ?? entry.shape
            let values = (0..<shape.reduce(1, *)).map { Self.value(tensor: k, element: $0) }
            let name = prefixed && entry.key != "lm_head.weight" ? "transformer." + entry.key : entry.key
            list.append(.f32(name, shape, values))
            if withBuffers, entry.key.hasSuffix(".attn.c_proj.bias") {
                let l = entry.key.split(separator: ".")[1]
                let p = prefixed ? "transformer." : ""
                let n = Self.nPositions
                let mask = (0..<(n * n)).map { Float(($0 % n) <= ($0 / n) ? 1 : 0) }
                list.append(TestTensor(name: "\(p)h.\(l).attn.bias", dtype: "U8", shape: [1, 1, n, n], data: mask.map { UInt8($0) }))
                list.append(.f32("\(p)h.\(l).attn.masked_bias", [], [-1e4]))
            }
        }
        return list + extra
    }

    /// Writes config.json and model.safetensors into `folder` and returns the folder.
    @discardableResult
    func write(into folder: TemporaryFolder, subfolder: String = "model") throws -> URL {
        try folder.write(configJSON(), to: "\(subfolder)/config.json")
        try folder.write(SafetensorsTestWriter.file(tensors()), to: "\(subfolder)/model.safetensors")
        return folder.url.appendingPathComponent(subfolder)
    }
}
