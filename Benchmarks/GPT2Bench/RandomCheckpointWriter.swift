import Foundation
import GPT2

/// Errors of the benchmark driver; each names the path or the measurement.
enum BenchError: Error, CustomStringConvertible {
    case cannotCreate(path: String)
    case nothingMeasured(what: String)
    case missingLogits(run: String)
    case sweepFeedsDisagree

    var description: String {
        switch self {
        case .cannotCreate(let path): "cannot create \(path): check that its folder is writable"
        case .nothingMeasured(let what): "no run of \(what) completed: pass --runs 1 or more"
        case .sweepFeedsDisagree: "the sweep fed head by head and fed layer by layer gave different results"
        case .missingLogits(let run): "the \(run) forward pass returned no logits although computeLogits was set"
        }
    }
}

/// Writes `directory/config.json` and `directory/model.safetensors` (F32, little-endian) holding
/// the random GPT-2-shaped model of `randomTensorSpecs` — the same values as `randomWeights` —
/// so Swift (`GPT2Checkpoint.load`) and PyTorch (`from_pretrained`) run the same file.
/// Streams tensor by tensor: memory stays at the largest tensor (wte, 154 MB for gpt2-small).
/// - Returns: bytes of model.safetensors.
@discardableResult
func writeRandomCheckpoint(directory: URL, config: GPT2Config, seed: UInt32 = 7) throws -> Int {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let configJSON = """
    {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": \(config.nLayer), \
    "n_head": \(config.nHead), "n_embd": \(config.nEmbd), "n_positions": \(config.nPositions), \
    "n_ctx": \(config.nPositions), "vocab_size": \(config.vocabSize), "n_inner": null, \
    "layer_norm_epsilon": \(config.layerNormEpsilon), "activation_function": "gelu_new", \
    "tie_word_embeddings": true, "bos_token_id": 50256, "eos_token_id": 50256}
    """
    try Data(configJSON.utf8).write(to: directory.appendingPathComponent(GPT2Checkpoint.configFileName))

    let specs = randomTensorSpecs(config: config)
    var entries: [String] = [#""__metadata__":{"format":"pt"}"#]
    var offset = 0
    for spec in specs {
        let bytes = spec.count * MemoryLayout<Float>.size
        entries.append(#""\#(spec.key)":{"dtype":"F32","shape":\#(spec.shape),"data_offsets":[\#(offset),\#(offset + bytes)]}"#)
        offset += bytes
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }   // data section 8-byte aligned

    let url = directory.appendingPathComponent(GPT2Checkpoint.weightsFileName)
    guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
        throw BenchError.cannotCreate(path: url.path)
    }
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    var length = UInt64(header.count).littleEndian
    try handle.write(contentsOf: Data(bytes: &length, count: 8))
    try handle.write(contentsOf: Data(header))
    var fill = RandomFill(seed: seed)
    for spec in specs {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: spec.count)
        defer { buffer.deallocate() }
        fill.fill(buffer, spec)
        try handle.write(contentsOf: Data(bytesNoCopy: buffer, count: spec.count * 4, deallocator: .none))
    }
    return 8 + header.count + offset
}
