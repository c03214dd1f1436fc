import Foundation

/// Everything that identifies an analysis before it runs: what `RunStore.cachedRun(for:)`
/// looks up and `RunStore.beginRun(_:)` records.
public struct RunRequest: Sendable {
    /// The JSON-RPC method, e.g. `pruneSweep`.
    public var method: String
    /// The loaded model (inserted into `model` on first use).
    public var model: ModelRecord
    /// The token input (inserted into `input` on first use); nil for a method without one.
    public var input: InputRecord?
    public var params: CanonicalParams
    /// The client's `clientInfo.name`, stored with the run; not part of the cache key.
    public var clientName: String?

    public init(method: String, model: ModelRecord, input: InputRecord?, params: CanonicalParams, clientName: String? = nil) {
        self.method = method
        self.model = model
        self.input = input
        self.params = params
        self.clientName = clientName
    }

    /// Hash (`InputHash.fnv1a128`) of model fingerprint, input hash, method and canonical
    /// params, joined by U+001F. Indexed; a lookup also compares the four parts exactly.
    public var cacheKey: String {
        let parts = [model.fingerprint, input?.hash ?? "", method, params.json]
        return InputHash.fnv1a128(Array(parts.joined(separator: "\u{1F}").utf8))
    }
}
