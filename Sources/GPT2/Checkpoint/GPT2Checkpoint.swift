import Crypto
import Foundation

/// A GPT-2-family model folder loaded into memory: `config.json` parsed, `model.safetensors`
/// memory-mapped and validated, every weight checked against the config, and a content
/// fingerprint computed.
///
/// - Important: immutable; safe to share across threads. The weights point into the mapped
///   file, which stays mapped while any `FloatTensor` of `weights` is alive.
public struct GPT2Checkpoint: Sendable {
    /// Name of the config file inside a model folder.
    public static let configFileName = "config.json"
    /// Name of the weights file inside a model folder.
    public static let weightsFileName = "model.safetensors"

    /// The folder the checkpoint was loaded from (standardised path).
    public let directory: URL
    public let config: GPT2Config
    public let weights: GPT2Weights
    /// `ModelFingerprint` of config.json and model.safetensors: 64 lowercase hex digits
    /// (SHA-256), stable across loads of the same files.
    public let fingerprint: String
    /// The mapped `model.safetensors` the weights point into.
    public let weightsMapping: MappedFile

    /// Loads `directory/config.json` and `directory/model.safetensors`.
    /// - Parameters:
    ///   - digestCache: remembers the weights file's SHA-256 per file version, so a reload of
    ///     an unchanged file does not rehash it.
    ///   - checkCancelled: called between stages and once per MiB hashed (on the calling
    ///     thread); whatever it throws ends the load there, nothing is kept.
    /// - Throws: `GPT2CheckpointError` (missing folder or file, invalid config, missing,
    ///   mis-shaped or unexpected tensors — each naming the file and key), `SafetensorsError`
    ///   (a corrupt file, naming the tensor), `MappedFileError` (an unreadable file).
    public static func load(directory: URL, digestCache: WeightsDigestCache = .shared,
                            checkCancelled: () throws -> Void = {}) throws -> GPT2Checkpoint {
        let folder = directory.standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw GPT2CheckpointError.notADirectory(path: folder.path)
        }

        let configURL = folder.appendingPathComponent(configFileName)
        let configMapping = try map(configURL, in: folder)
        let config: GPT2Config
        do {
            config = try GPT2Config(jsonData: Data(configMapping.bytes))
        } catch let reason as GPT2ConfigError {
            throw GPT2CheckpointError.invalidConfig(path: configURL.path, reason: reason)
        }

        try checkCancelled()
        let weightsFile = try SafetensorsFile(mapping: map(folder.appendingPathComponent(weightsFileName), in: folder))
        let weights = try GPT2Weights(reading: weightsFile, config: config)
        try checkCancelled()
        let weightsDigest = try CheckpointScan.digest(of: weightsFile, cache: digestCache, checkCancelled: checkCancelled)
        let fingerprint = ModelFingerprint.combine(config: SHA256.hash(data: configMapping.bytes), weights: weightsDigest)
        return GPT2Checkpoint(directory: folder, config: config, weights: weights, fingerprint: fingerprint,
                              weightsMapping: weightsFile.mapping)
    }

    /// Maps one file of the folder; a missing file is reported by name and folder.
    private static func map(_ url: URL, in folder: URL) throws -> MappedFile {
        do {
            return try MappedFile(url: url)
        } catch MappedFileError.notFound {
            throw GPT2CheckpointError.missingFile(name: url.lastPathComponent, directory: folder.path)
        }
    }
}
