import Kernels

/// One transformer block's parameters as the forward pass uses them: the four matmul weights
/// packed into GEMM panels once, the vectors kept as views of the original tensors.
/// Immutable; safe to share across threads.
struct PackedLayerWeights: @unchecked Sendable {
    let ln1Weight: FloatTensor      // (C)
    let ln1Bias: FloatTensor        // (C)
    let qkv: PackedMatrix           // (C, 3C)
    let qkvBias: FloatTensor        // (3C)
    let attnProj: PackedMatrix      // (C, C)
    let attnProjBias: FloatTensor   // (C)
    let ln2Weight: FloatTensor      // (C)
    let ln2Bias: FloatTensor        // (C)
    let fc: PackedMatrix            // (C, I)
    let fcBias: FloatTensor         // (I)
    let mlpProj: PackedMatrix       // (I, C)
    let mlpProjBias: FloatTensor    // (C)

    /// Packs `layer`'s Conv1D weights, stored `[in, out]` (y = x · W + b), as GEMM right operands.
    init(_ layer: GPT2LayerWeights, config: GPT2Config) {
        let c = config.nEmbd, i = config.nInner
        ln1Weight = layer.ln1Weight; ln1Bias = layer.ln1Bias
        qkv = PackedMatrix(k: c, n: 3 * c, source: layer.qkvWeight.pointer, rowStride: 3 * c)
        qkvBias = layer.qkvBias
        attnProj = PackedMatrix(k: c, n: c, source: layer.attnProjWeight.pointer, rowStride: c)
        attnProjBias = layer.attnProjBias
        ln2Weight = layer.ln2Weight; ln2Bias = layer.ln2Bias
        fc = PackedMatrix(k: c, n: i, source: layer.fcWeight.pointer, rowStride: i)
        fcBias = layer.fcBias
        mlpProj = PackedMatrix(k: i, n: c, source: layer.mlpProjWeight.pointer, rowStride: c)
        mlpProjBias = layer.mlpProjBias
    }

    /// Bytes held by the packed matrices.
    var packedBytes: Int { qkv.byteCount + attnProj.byteCount + fc.byteCount + mlpProj.byteCount }
}
