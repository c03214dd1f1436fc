import AttnProtocol
import Foundation
import GPT2
import HubDownload
import JSONRPC

extension ModelSession {
    /// Fetches a model by name into the HuggingFace cache layout (`$HF_ENDPOINT`, default the
    /// public hub), reporting bytes as progress. Errors are -32008 with `data {name, url?, reason}`.
    /// - Important: called on the compute queue (from `model/load` or `initialize`); progress goes
    ///   to `context` when there is one.
    static func downloadModel(name: String, context: RequestContext?) throws -> URL {
        let env = ProcessInfo.processInfo.environment
        let endpoint = HubDownloader.defaultEndpoint(environment: env)
        // Into the folder `ModelLocator` searches, so a later `--model NAME` finds it.
        let downloader = HubDownloader(endpoint: endpoint, cacheRoot: ModelLocator.hubCacheRoot(environment: env))
        do {
            return try downloader.download(repo: name) { file, done, total in
                if let total, total > 0 {
                    context?.report(percentage: Int(100 * done / total), message: "\(file): \(done) of \(total) bytes")
                } else {
                    context?.report(message: "\(file): \(done) bytes")
                }
            }
        } catch {
            throw RPCError(.downloadFailed, "cannot download model '\(name)' from \(endpoint.absoluteString): \(error)",
                           data: ["name": .string(name), "url": .string(endpoint.absoluteString), "reason": .string("\(error)")])
        }
    }
}
