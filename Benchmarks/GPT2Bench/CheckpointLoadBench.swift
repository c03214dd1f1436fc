import Foundation
import GPT2

/// The default folder of the random benchmark model (config.json + model.safetensors).
let defaultBenchModelDirectory = URL(fileURLWithPath: NSTemporaryDirectory())
    .appendingPathComponent("selectattention-bench-gpt2small")

/// A model loaded the way the daemon loads one (AttnServer's LoadedModel): `GPT2Checkpoint.load`
/// (mmap, validation, fingerprint), `GPT2Model.init` (packing), then the mapped file's pages
/// released from resident memory (the forward pass reads its packed copies).
struct LoadedBenchModel {
    let checkpoint: GPT2Checkpoint
    let model: GPT2Model
    /// Bytes of model.safetensors (mapped; released after packing, read back only where the
    /// forward pass reads the mapping: embeddings, biases, layer norms).
    let fileBytes: Int

    /// Bytes the model keeps resident at most: the packed panels plus every tensor the forward
    /// pass reads from the mapping (all but the blocks' four matmul weights, which are packed).
    var residentModelBytes: Int {
        let c = model.config.nEmbd, i = model.config.nInner
        let packedOriginals = model.config.nLayer * (c * 3 * c + c * c + c * i + i * c) * 4
        return model.packedWeightBytes + fileBytes - packedOriginals
    }
}

/// Writes the random gpt2-small checkpoint into `directory` unless it already holds one.
func ensureRandomCheckpoint(_ directory: URL) throws {
    let weights = directory.appendingPathComponent(GPT2Checkpoint.weightsFileName)
    if FileManager.default.fileExists(atPath: weights.path) { return }
    let seconds = try seconds { try writeRandomCheckpoint(directory: directory, config: .gpt2Small) }
    print("wrote_model dir=\(directory.path) write_s=\(fmt(seconds))")
}

/// Loads `directory` `runs + 1` times (the first load warms the page cache and is not timed;
/// `runs` = 0: one timed load) and prints the medians of the checkpoint load and of the packing
/// (with the page release), in seconds.
/// Returns the last load (earlier ones are released before the next starts).
func loadBenchModel(directory: URL, runs: Int, threads: Int) throws -> LoadedBenchModel {
    let size = (try? FileManager.default.attributesOfItem(
        atPath: directory.appendingPathComponent(GPT2Checkpoint.weightsFileName).path)[.size] as? Int) ?? 0
    var loadTimes: [Double] = [], packTimes: [Double] = []
    var last: LoadedBenchModel?
    for run in 0...max(runs, 0) {
        last = nil                                               // one model alive at a time
        let load = try timed { try GPT2Checkpoint.load(directory: directory) }
        let pack = timed { () -> GPT2Model in
            let model = GPT2Model(weights: load.value.weights, threads: threads)
            load.value.weightsMapping.releaseResidentPages()
            return model
        }
        if run > 0 || runs <= 0 { loadTimes.append(load.seconds); packTimes.append(pack.seconds) }
        last = LoadedBenchModel(checkpoint: load.value, model: pack.value, fileBytes: size)
    }
    guard let model = last else { throw BenchError.nothingMeasured(what: "checkpoint load of \(directory.path)") }
    print("warm_load checkpoint_load_median_s=\(fmt(median(loadTimes))) pack_median_s=\(fmt(median(packTimes))) "
        + "total_median_s=\(fmt(median(zip(loadTimes, packTimes).map { $0 + $1 }))) runs=\(loadTimes.count) "
        + "file_bytes=\(size) packed_weight_bytes=\(model.model.packedWeightBytes)")
    return model
}
