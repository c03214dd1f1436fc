import Foundation
import GPT2
import Kernels

/// `--fingerprint`: the cost of the model fingerprint (SHA-256 of every byte of
/// model.safetensors, plus config.json) on the gpt2-small-sized checkpoint in `directory`.
///
/// - `sha256`: `ModelFingerprint.compute` over the mapped bytes alone (file in the page cache).
/// - `load_cold`: `GPT2Checkpoint.load` with an empty digest cache each time (a daemon's first
///   load of the file: map, validate, hash and scan every weight).
/// - `load_warm`: `GPT2Checkpoint.load` again with the cache that remembers it (a reload of the
///   unchanged file: map, validate, one `stat`, no hashing).
/// - `nonfinite_scan`: `NonFiniteScan` over the file's bytes read as float32 (the loader's
///   weight check, and what the daemon runs over every attention layer and logits matrix).
/// One untimed load first brings the file into the page cache. Medians over `runs`, seconds.
func runFingerprintBench(directory: URL, runs: Int) throws {
    let weightsURL = directory.appendingPathComponent(GPT2Checkpoint.weightsFileName)
    let configURL = directory.appendingPathComponent(GPT2Checkpoint.configFileName)
    _ = try GPT2Checkpoint.load(directory: directory, digestCache: WeightsDigestCache())
    let weights = try MappedFile(url: weightsURL), config = try MappedFile(url: configURL)
    let bytes = weights.bytes.count
    var hashTimes: [Double] = [], coldTimes: [Double] = [], warmTimes: [Double] = [], scanTimes: [Double] = []
    let remembering = WeightsDigestCache(minimumAge: 0)
    _ = try GPT2Checkpoint.load(directory: directory, digestCache: remembering)
    for _ in 0..<max(runs, 1) {
        let scan = timed { NonFiniteScan.firstNonFinite(float32: weights.bytes.baseAddress!, count: bytes / 4) }
        guard scan.value == nil else { throw BenchError.nothingMeasured(what: "a finite checkpoint (found a non-finite weight)") }
        scanTimes.append(scan.seconds)
        hashTimes.append(seconds { _ = ModelFingerprint.compute(configJSON: config.bytes, safetensors: weights.bytes) })
        coldTimes.append(try seconds { _ = try GPT2Checkpoint.load(directory: directory, digestCache: WeightsDigestCache()) })
        warmTimes.append(try seconds { _ = try GPT2Checkpoint.load(directory: directory, digestCache: remembering) })
    }
    let hashSeconds = median(hashTimes)
    print("fingerprint file_bytes=\(bytes) sha256_median_s=\(fmt(hashSeconds)) sha256_gb_per_s=\(fmt(Double(bytes) / hashSeconds / 1e9)) "
        + "load_cold_median_s=\(fmt(median(coldTimes))) load_warm_median_s=\(fmt(median(warmTimes))) runs=\(hashTimes.count) "
        + "rehashed_on_warm=\(remembering.filesHashed - 1) nonfinite_scan_median_s=\(fmt(median(scanTimes))) "
        + "nonfinite_scan_gb_per_s=\(fmt(Double(bytes) / median(scanTimes) / 1e9))")
}
