import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches model files from a HuggingFace hub endpoint into the hub cache layout
/// (`models--ORG--NAME/blobs`, `snapshots/<commit>`, `refs/<revision>`), the layout the model
/// locator reads.
///
/// Per file: a `HEAD` of `{endpoint}/{repo}/resolve/{revision}/{file}` gives the commit
/// (`X-Repo-Commit`, else the revision name) and the blob name (`X-Linked-Etag` or `ETag`); a
/// blob already present is reused; otherwise the body is written to `blobs/<etag>.incomplete`
/// (resumed with `Range: bytes=N-` when a partial file is there), checked against the announced
/// size, and renamed atomically to `blobs/<etag>`. Then `snapshots/<commit>/<file>` becomes a
/// relative symlink `../../blobs/<etag>` and `refs/<revision>` holds the commit.
///
/// Threading: `download` blocks the calling thread; `progress` runs on a networking queue.
public struct HubDownloader: Sendable {
    /// The files of a GPT-2 model folder.
    public static let modelFiles = ["config.json", "model.safetensors", "vocab.json", "merges.txt"]

    public let endpoint: URL
    public let cacheRoot: URL
    /// Seconds without data before a request fails.
    public var timeout: TimeInterval = 60
    /// A body that brings fewer than `stallMinimumBytes` in any `stallSeconds` is ended as
    /// `stalled` (a server trickling a byte every few seconds never trips `timeout`).
    public var stallSeconds: TimeInterval = 30
    public var stallMinimumBytes = 1024

    public init(endpoint: URL, cacheRoot: URL) {
        self.endpoint = endpoint
        self.cacheRoot = cacheRoot
    }

    /// `$HF_ENDPOINT`, else `https://huggingface.co`.
    public static func defaultEndpoint(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let text = environment["HF_ENDPOINT"], !text.isEmpty, let url = URL(string: text) { return url }
        return URL(string: "https://huggingface.co")!
    }

    /// Downloads `files` of `repo` at `revision`.
    /// - Parameters:
    ///   - progress: `(file, bytesDone, bytesTotal)` per received chunk (bytes; the total is nil
    ///     when the server does not announce it). Bytes already on disk count as done.
    ///   - isCancelled: polled every 50 ms during each request (any thread); once true the
    ///     request is cancelled and `download` throws `cancelled` within about 50 ms.
    /// - Returns: the snapshot folder `snapshots/<commit>`.
    /// - Throws: `HubDownloadError`.
    @discardableResult
    public func download(repo: String, revision: String = "main", files: [String] = HubDownloader.modelFiles,
                         progress: @escaping (String, Int64, Int64?) -> Void = { _, _, _ in },
                         isCancelled: @escaping () -> Bool = { false }) throws -> URL {
        let layout = try HubCacheLayout(cacheRoot: cacheRoot, repo: repo)
        let createdRepoFolder = !FileManager.default.fileExists(atPath: layout.repoFolder.path)
        do {
            return try download(layout, revision: revision, files: files, progress: progress, isCancelled: isCancelled)
        } catch {
            // A failed first pull leaves no empty `models--…` folder behind; partial blobs stay (they resume).
            if createdRepoFolder, Self.holdsNoFiles(layout.repoFolder) { try? FileManager.default.removeItem(at: layout.repoFolder) }
            throw error
        }
    }

    /// True when `folder` (recursively) holds folders only.
    static func holdsNoFiles(_ folder: URL) -> Bool {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isDirectoryKey]) else { return true }
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) != true {
            return false
        }
        return true
    }

    private func download(_ layout: HubCacheLayout, revision: String, files: [String],
                          progress: @escaping (String, Int64, Int64?) -> Void,
                          isCancelled: @escaping () -> Bool) throws -> URL {
        let repo = layout.repo
        try makeFolder(layout.blobsFolder)
        var snapshot: URL?
        for file in files {
            if isCancelled() { throw HubDownloadError.cancelled(file: file) }
            let url = fileURL(repo: repo, revision: revision, file: file)
            let head = try send(method: "HEAD", url: url, range: nil, repo: repo, revision: revision, file: file,
                                watchdog: watchdog(file: file, isCancelled: isCancelled))
            let commit = head.firstHeaders["x-repo-commit"] ?? revision
            let etag = head.firstHeaders["x-linked-etag"] ?? head.firstHeaders["etag"] ?? head.headers["etag"]
            let blobName = HubCacheLayout.blobName(fromETag: etag)
                ?? "noetag-" + (commit + "-" + file).replacingOccurrences(of: "/", with: "_")
            let total = (head.firstHeaders["x-linked-size"] ?? head.headers["content-length"]).flatMap { Int64($0) }
            let blob = layout.blob(blobName)
            if !FileManager.default.fileExists(atPath: blob.path) {
                try fetch(url: url, into: layout, blobName: blobName, total: total, repo: repo, revision: revision,
                          file: file, progress: progress, watchdog: watchdog(file: file, isCancelled: isCancelled))
            } else if let total {
                progress(file, total, total)
            }
            let folder = layout.snapshotFolder(commit: commit)
            try link(folder.appendingPathComponent(file), target: HubCacheLayout.relativeBlobTarget(file: file, blob: blobName))
            if commit != revision { try write(commit, to: layout.ref(revision)) }
            snapshot = folder
        }
        return snapshot ?? layout.snapshotFolder(commit: revision)
    }

    func fileURL(repo: String, revision: String, file: String) -> URL {
        endpoint.appendingPathComponent(repo).appendingPathComponent("resolve")
            .appendingPathComponent(revision).appendingPathComponent(file)
    }

    /// The per-request check: cancellation, then the stall rule (fewer than `stallMinimumBytes`
    /// in a window of `stallSeconds`, windows back to back from the response's headers; the
    /// wait for the headers is `timeout`'s business).
    func watchdog(file: String, isCancelled: @escaping () -> Bool) -> (Int64?) -> Error? {
        let window = WindowState()
        let seconds = stallSeconds
        let minimum = Int64(stallMinimumBytes)
        return { receivedSoFar in
            if isCancelled() { return HubDownloadError.cancelled(file: file) }
            guard let received = receivedSoFar else { return nil }
            let now = Date()
            guard let start = window.start else {
                window.start = now
                window.bytesAtStart = received
                return nil
            }
            guard now.timeIntervalSince(start) >= seconds else { return nil }
            if received - window.bytesAtStart < minimum {
                return HubDownloadError.stalled(file: file, receivedBytes: received, minimumBytes: Int(minimum), seconds: seconds)
            }
            window.start = now
            window.bytesAtStart = received
            return nil
        }
    }

    /// GETs the body into `<blob>.incomplete` (resuming), checks its size, renames it into place.
    private func fetch(url: URL, into layout: HubCacheLayout, blobName: String, total: Int64?, repo: String,
                       revision: String, file: String, progress: @escaping (String, Int64, Int64?) -> Void,
                       watchdog: @escaping (Int64?) -> Error?) throws {
        let partial = layout.incompleteBlob(blobName)
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: partial.path) {
            guard fileManager.createFile(atPath: partial.path, contents: nil) else {
                throw HubDownloadError.disk(path: partial.path, reason: "could not create the file")
            }
        }
        let handle: FileHandle
        do { handle = try FileHandle(forWritingTo: partial) } catch {
            throw HubDownloadError.disk(path: partial.path, reason: "\(error.localizedDescription)")
        }
        defer { try? handle.close() }
        var done = Int64((try? handle.seekToEnd()) ?? 0)
        if let total, done >= total, total > 0 {
            // Complete already (a crash between write and rename): only the rename is missing.
        } else {
            let range = done > 0 ? "bytes=\(done)-" : nil
            let path = partial.path
            do {
                _ = try send(method: "GET", url: url, range: range, repo: repo, revision: revision, file: file,
                         watchdog: watchdog, onResponse: { status, _ in
                             if status == 200, done > 0 {  // the server ignored Range: start again
                                 try handle.truncate(atOffset: 0)
                                 done = 0
                             }
                         },
                         onBody: { data in
                             do { try handle.write(contentsOf: data) } catch {
                                 throw HubDownloadError.disk(path: path, reason: error.localizedDescription)
                             }
                             done += Int64(data.count)
                             progress(file, done, total)
                         })
            } catch HubDownloadError.unreachable(let endpoint, let reason) {
                // Cut mid-body: keep the partial file and say how far it got.
                guard done > 0, let total, done < total else { throw HubDownloadError.unreachable(endpoint: endpoint, reason: reason) }
                throw HubDownloadError.incomplete(file: file, receivedBytes: done, expectedBytes: total)
            }
        }
        try? handle.synchronize()
        if let total, done != total {
            throw HubDownloadError.incomplete(file: file, receivedBytes: done, expectedBytes: total)
        }
        let blob = layout.blob(blobName)
        if rename(partial.path, blob.path) != 0 {
            throw HubDownloadError.disk(path: blob.path, reason: String(cString: strerror(errno)))
        }
    }

    /// One request; maps transport failures and HTTP statuses to `HubDownloadError`.
    private func send(method: String, url: URL, range: String?, repo: String, revision: String, file: String,
                      watchdog: @escaping (Int64?) -> Error?,
                      onResponse: @escaping (Int, [String: String]) throws -> Void = { _, _ in },
                      onBody: @escaping (Data) throws -> Void = { _ in }) throws -> HTTPTransfer.Outcome {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("SelectAttention-HubDownload/1", forHTTPHeaderField: "User-Agent")
        if let range { request.setValue(range, forHTTPHeaderField: "Range") }
        let outcome: HTTPTransfer.Outcome
        do {
            let accepting = Flag()
            outcome = try HTTPTransfer.perform(request, timeout: timeout, watchdog: watchdog, onResponse: { status, headers in
                guard (200..<300).contains(status) else { return }  // error bodies are not written
                accepting.value = true
                try onResponse(status, headers)
            }, onBody: { data in
                if accepting.value { try onBody(data) }
            })
        } catch let error as HubDownloadError {
            throw error
        } catch {
            throw HubDownloadError.unreachable(endpoint: endpoint.absoluteString, reason: Self.reason(error))
        }
        switch outcome.status {
        case 200..<300: return outcome
        case 404, 401: throw HubDownloadError.notFound(repo: repo, file: file, revision: revision, url: url.absoluteString)
        default: throw HubDownloadError.httpStatus(code: outcome.status, url: url.absoluteString)
        }
    }

    private static func reason(_ error: Error) -> String {
        if let urlError = error as? URLError {
            switch urlError.code {
            case .cannotConnectToHost: return "connection refused"
            case .cannotFindHost: return "host not found"
            case .notConnectedToInternet: return "not connected to the internet"
            case .timedOut: return "timed out"
            case .networkConnectionLost: return "the connection was lost"
            default: return urlError.localizedDescription
            }
        }
        return error.localizedDescription
    }

    private func makeFolder(_ folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw HubDownloadError.disk(path: folder.path, reason: error.localizedDescription)
        }
    }

    /// Replaces whatever is at `link` with a symlink to `target` (relative).
    private func link(_ link: URL, target: String) throws {
        try makeFolder(link.deletingLastPathComponent())
        unlink(link.path)
        if symlink(target, link.path) != 0 {
            throw HubDownloadError.disk(path: link.path, reason: String(cString: strerror(errno)))
        }
    }

    /// Writes `text` through a temporary file and a rename.
    private func write(_ text: String, to file: URL) throws {
        try makeFolder(file.deletingLastPathComponent())
        do {
            try Data(text.utf8).write(to: file, options: .atomic)
        } catch {
            throw HubDownloadError.disk(path: file.path, reason: error.localizedDescription)
        }
    }
}

/// The stall rule's current window; read and written only by the thread waiting in `perform`.
private final class WindowState: @unchecked Sendable {
    var start: Date?
    var bytesAtStart: Int64 = 0
}

/// A flag set and read on one serial delegate queue.
private final class Flag: @unchecked Sendable {
    var value = false
}
