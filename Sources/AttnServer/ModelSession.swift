import AttnProtocol
import Foundation
import GPT2
import JSONRPC
import Logging

/// The daemon's shared state: the loaded model, the dense-pass cache and the run history.
///
/// Threading: `current` is read from any thread; it is replaced only by `load`, which the
/// registry runs as an `.exclusive` method (no other handler runs meanwhile). A lock still
/// guards the reference so a reader never sees a torn value.
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
    /// Errors: -32003 (with `data {path|name, reason}`), -32008 for a failed download.
    @discardableResult
    func load(_ source: Source, context: RequestContext?) throws -> LoadedModel {
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
                folder = try ModelSession.downloadModel(name: n, context: context)
            }
        }
        do {
            let loaded = try LoadedModel(folder: folder, name: name)
            lock.withLock { model = loaded }
            cache.removeAll()
            logger.info("loaded model \(loaded.name) (\(loaded.fingerprint)) from \(loaded.path) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
            return loaded
        } catch {
            data["reason"] = .string("\(error)")
            throw RPCError(.modelLoadFailed, "cannot load model from \(folder.path): \(error)", data: .object(data))
        }
    }
}
