import Foundation
import HubDownload
import JSONRPC

extension ModelSession {
    /// Fetches a model by name into the HuggingFace cache layout (`$HF_ENDPOINT`, default the
    /// public hub), reporting bytes as progress. Errors are -32008 with `data {name, url?, reason}`.
    /// - Important: called on the compute queue (from `model/load` or `initialize`).
    static func downloadModel(name: String, context: RequestContext) throws -> URL {
        let env = ProcessInfo.processInfo.environment
        let endpoint = HubDownloader.defaultEndpoint(environment: env)
        let downloader = HubDownloader(endpoint: endpoint, cacheRoot: HubDownloader.defaultCacheRoot(environment: env))
        do {
            return try downloader.download(repo: name) { file, done, total in
                if let total, total > 0 {
                    context.report(percentage: Int(100 * done / total), message: "\(file): \(done) of \(total) bytes")
                } else {
                    context.report(message: "\(file): \(done) bytes")
                }
            }
        } catch {
            throw RPCError(.downloadFailed, "cannot download model '\(name)' from \(endpoint.absoluteString): \(error)",
                           data: ["name": .string(name), "url": .string(endpoint.absoluteString), "reason": .string("\(error)")])
        }
    }
}
