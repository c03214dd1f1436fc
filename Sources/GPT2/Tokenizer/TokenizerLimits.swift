/// What a tokenizer folder may hold, checked before anything is allocated for it
/// (documented in Protocol/README.md, `model/load`).
public struct TokenizerLimits: Equatable, Sendable {
    /// Largest `vocab.json` read, bytes (GPT-2's is 1.04 MB).
    public var maxVocabularyFileBytes = 64 << 20
    /// Largest `merges.txt` read, bytes (GPT-2's is 0.46 MB).
    public var maxMergesFileBytes = 64 << 20
    /// Ids must be below this: config.json's `vocab_size` when the model is known, else
    /// 2^22 (4 194 304, beyond every released GPT-2-family vocabulary). Since ids are unique,
    /// it also bounds the number of vocabulary entries.
    public var idLimit = 1 << 22
    /// Longest token string in `vocab.json`, bytes as written (escapes included).
    public var maxTokenBytes = 1024
    /// Most merge rules: one per vocabulary entry (each rule's result is an entry; a trained
    /// file has 256 fewer).
    public var maxMergesPerToken = 1

    public init() {}

    /// The limits for a model whose config.json gives `vocabSize`.
    public init(vocabSize: Int) {
        idLimit = vocabSize
    }
}
