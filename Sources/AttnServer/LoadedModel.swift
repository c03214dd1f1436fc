import AttnProtocol
import Foundation
import GPT2
import JSONRPC

/// One model held by the daemon: weights (memory-mapped), packed forward pass, tokenizer.
///
/// Immutable once built; shared by every connection. A `model/load` builds a new one and
/// swaps it in (see `ModelSession`).
final class LoadedModel: @unchecked Sendable {
    /// The name it was loaded by (`gpt2`), else the folder's last path component.
    let name: String
    /// The folder the files were read from (absolute).
    let path: String
    let checkpoint: GPT2Checkpoint
    let model: GPT2Model
    let tokenizer: BPETokenizer
    /// `profileAttention`'s induction scores, computed once per (seed, length).
    let inductionMemo = InductionMemo()

    var config: GPT2Config { checkpoint.config }
    var fingerprint: String { checkpoint.fingerprint }

    /// Loads `config.json`, `model.safetensors`, `vocab.json`, `merges.txt` from `folder`.
    /// - Parameter context: the request doing the load; its cancellation is checked between
    ///   stages, per MiB hashed, per 4096 tokenizer entries and per block packed, so a cancel
    ///   ends the load within ~200 ms.
    /// - Throws: the load's error, or -32800 when `context` was cancelled.
    init(folder: URL, name: String?, context: RequestContext? = nil) throws {
        let checkCancelled: () throws -> Void = { try context?.checkCancelled() }
        checkpoint = try GPT2Checkpoint.load(directory: folder, checkCancelled: checkCancelled)
        try checkCancelled()
        tokenizer = try BPETokenizer(directory: folder, limits: TokenizerLimits(vocabSize: checkpoint.config.vocabSize),
                                     checkCancelled: checkCancelled)
        guard tokenizer.vocabularySize <= checkpoint.config.vocabSize else {
            throw LoadFailure("the tokenizer has \(tokenizer.vocabularySize) tokens but config.json's vocab_size is \(checkpoint.config.vocabSize)")
        }
        try checkCancelled()
        do {
            model = try GPT2Model(weights: checkpoint.weights, isCancelled: { context?.isCancelled ?? false })
        } catch is CancellationError {
            try checkCancelled()
            throw LoadFailure("packing was stopped")
        }
        // The forward pass now holds packed copies of the large matrices: let the kernel drop
        // the mapped originals from resident memory (they fault back in if ever read).
        checkpoint.weightsMapping.releaseResidentPages()
        path = folder.standardizedFileURL.path
        self.name = name ?? folder.standardizedFileURL.lastPathComponent
    }

    struct LoadFailure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// `ModelInfo` of the protocol.
    var info: ModelInfo {
        let c = config
        return ModelInfo(name: name, path: path, fingerprint: fingerprint, nLayer: c.nLayer, nHead: c.nHead, nEmbd: c.nEmbd,
                         nPositions: c.nPositions, vocabSize: c.vocabSize, parameterCount: checkpoint.weights.parameterCount)
    }

    /// The config as JSON text (stored with runs).
    var configJSON: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return (try? enc.encode(config)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }
}
