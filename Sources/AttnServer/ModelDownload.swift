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
    ///   A cancel of `context` ends the download within ~50 ms (-32800); a server bringing under
    ///   1 KiB in `stallSeconds` ends it as stalled.
    static func downloadModel(name: String, context: RequestContext?, stallSeconds: Double) throws -> URL {
        let env = ProcessInfo.processInfo.environment
        let endpoint = HubDownloader.defaultEndpoint(environment: env)
        // Into the folder `ModelLocator` searches, so a later `--model NAME` finds it.
        var downloader = HubDownloader(endpoint: endpoint, cacheRoot: ModelLocator.hubCacheRoot(environment: env))
        downloader.stallSeconds = stallSeconds
        do {
            return try downloader.download(repo: name, progress: { file, done, total in
                if let total, total > 0 {
                    context?.report(percentage: Int(100 * done / total), message: "\(file): \(done) of \(total) bytes")
                } else {
                    context?.report(message: "\(file): \(done) bytes")
                }
            }, isCancelled: { context?.isCancelled ?? false })
        } catch HubDownloadError.cancelled where context != nil {
            try context?.checkCancelled()
            throw RPCError(.requestCancelled, "model/load of '\(name)' was cancelled")
        } catch {
            throw RPCError(.downloadFailed, "cannot download model '\(name)' from \(endpoint.absoluteString): \(error)",
                           data: ["name": .string(name), "url": .string(endpoint.absoluteString), "reason": .string("\(error)")])
        }
    }
}
