
/// The shape of a model's attention: `L` layers of `(H, T, T)` probabilities.
public struct AttentionShape: Hashable, Sendable {
    public let layers: Int
    public let heads: Int
    public let tokens: Int

    public init(layers: Int, heads: Int, tokens: Int) throws {
        for (field, value) in [("layers", layers), ("heads", heads), ("tokens", tokens)] where value < 1 {
            throw AnalysisError.invalidDimension(field: field, value: value, accepted: "an integer ≥ 1")
        }
        self.layers = layers
        self.heads = heads
        self.tokens = tokens
    }

    /// Floats in one layer's attention: `H · T · T`.
    public var layerCount: Int { heads * tokens * tokens }

    /// Throws unless `attention` holds exactly one layer `(H, T, T)` of a valid layer index.
    func check(layer: Int, attentionCount: Int, seen: [Bool]) throws {
        guard layer >= 0, layer < layers else {
            throw AnalysisError.unexpectedLayer(layer: layer, layers: layers, alreadySeen: false)
        }
        guard !seen[layer] else { throw AnalysisError.unexpectedLayer(layer: layer, layers: layers, alreadySeen: true) }
        guard attentionCount == layerCount else {
            throw AnalysisError.attentionSizeMismatch(layer: layer, expected: layerCount, actual: attentionCount)
        }
    }

    /// Throws unless `(layer, head)` is in range, `worker` is below the accumulator's
    /// `threadCount`, and `attention` holds exactly one head `(T, T)`.
    func checkHead(layer: Int, head: Int, worker: Int, threadCount: Int, attentionCount: Int) throws {
        guard layer >= 0, layer < layers else {
            throw AnalysisError.unexpectedLayer(layer: layer, layers: layers, alreadySeen: false)
        }
        guard head >= 0, head < heads else {
            throw AnalysisError.invalidDimension(field: "head", value: head, accepted: "0..<\(heads)")
        }
        guard worker >= 0, worker < threadCount else {
            throw AnalysisError.invalidDimension(field: "worker", value: worker, accepted: "0..<\(threadCount) (the accumulator's threadCount)")
        }
        guard attentionCount == tokens * tokens else {
            throw AnalysisError.attentionSizeMismatch(layer: layer, expected: tokens * tokens, actual: attentionCount)
        }
    }
}

/// Throws `missingLayers` unless every layer was fed.
func requireAllLayers(_ seen: [Bool]) throws {
    let missing = seen.indices.filter { !seen[$0] }
    guard missing.isEmpty else { throw AnalysisError.missingLayers(missing) }
}
