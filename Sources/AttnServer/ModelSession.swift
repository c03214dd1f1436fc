import AttnProtocol
import Foundation
import GPT2
import JSONRPC
import Logging

/// The daemon's shared state: the loaded model, the dense-pass cache and the run history.
///
/// Threading: `current` is read from any thread (immediate handlers take the reference once
/// and use that model to the end). `load` runs on the compute thread and builds the new model
/// without holding anything; only the final swap takes the lock, so `model/info`, `tokenize`
/// and `runs/*` keep being answered on the old model while a load reads, hashes, packs or
/// downloads. A load checks `context` for cancellation between its stages.
final class ModelSession: @unchecked Sendable {
    let configuration: ServerConfiguration
    let cache: DenseCache
    let history: RunHistory
    let logger: Logger

    private let lock = NSLock()
    private var model: LoadedModel?

    init(configuration: ServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        cache = DenseCache(budget: configuration.cacheBudgetBytes)
        history = RunHistory(configuration: configuration, logger: logger)
    }

    /// The loaded model, if any.
    var current: LoadedModel? { lock.withLock { model } }

    /// The loaded model, or -32001.
    func requireModel() throws -> LoadedModel {
        guard let m = current else {
            throw RPCError(.noModelLoaded, "no model is loaded: start attnd with --model, or call model/load")
        }
        return m
    }

    /// Where a model comes from.
    enum Source: Equatable {
        case path(String)
        case name(String, download: Bool)
    }

    /// Loads a model and makes it current; on failure the previous model stays.
    ///
    /// Loading the model that is already current (same folder, same fingerprint) changes
    /// nothing. Swapping in a different one while other clients are connected needs `force`
    /// (else -32000 with `data {otherClients}`, and the old model stays); after a swap the other
    /// clients are sent `$/modelChanged {model}`.
    /// Errors: -32003 (with `data {path|name, reason}`), -32008 for a failed download, -32000.
    @discardableResult
    func load(_ source: Source, force: Bool = false, context: RequestContext?) throws -> LoadedModel {
        let started = Date()
        let folder: URL
        let name: String?
        var data: [String: JSONValue] = [:]
        switch source {
        case .path(let p):
            folder = URL(fileURLWithPath: (p as NSString).expandingTildeInPath)
            name = nil
            data["path"] = .string(p)
        case .name(let n, let download):
            name = n
            data["name"] = .string(n)
            do {
                folder = try ModelLocator.resolve(n, environment: ProcessInfo.processInfo.environment)
            } catch {
                guard download else {
                    data["reason"] = .string("\(error)")
                    throw RPCError(.modelLoadFailed, "cannot load model '\(n)': \(error)", data: .object(data))
                }
                folder = try ModelSession.downloadModel(name: n, context: context, stallSeconds: configuration.downloadStallSeconds)
            }
        }
        do {
            let loaded = try LoadedModel(folder: folder, name: name, context: context)
            if let previous = current, previous.fingerprint == loaded.fingerprint, previous.path == loaded.path {
                return previous   // already loaded: nothing changes for anyone
            }
            let others = context?.otherClientCount() ?? 0
            if current != nil, others > 0, !force {
                throw RPCError(.serverBusy,
                    "not swapping the model: \(others) other client(s) are connected and use \(current?.name ?? "the loaded model"); pass force: true to swap it under them",
                    data: ["otherClients": .int(Int64(others))])
            }
            lock.withLock { model = loaded }
            cache.removeAll()
            if others > 0, let info = try? JSONValue(encoding: loaded.info) {
                context?.notifyOtherClients(RPCNotification(method: "$/modelChanged", params: ["model": info]))
            }
            logger.info("loaded model \(loaded.name) (\(loaded.fingerprint)) from \(loaded.path) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
            return loaded
        } catch let error as RPCError where error.code == .requestCancelled || error.code == .serverBusy {
            logger.info("model load from \(folder.path) ended (\(error.message)); the previous model stays")
            throw error
        } catch {
            data["reason"] = .string("\(error)")
            throw RPCError(.modelLoadFailed, "cannot load model from \(folder.path): \(error)", data: .object(data))
        }
    }
}
