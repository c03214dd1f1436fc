import Foundation

/// Paths of one repository in the HuggingFace hub cache:
/// `models--ORG--NAME/{blobs/<etag>, snapshots/<commit>/<file> → ../../blobs/<etag>, refs/<revision>}`.
public struct HubCacheLayout: Sendable, Equatable {
    /// The hub cache folder (e.g. `~/.cache/huggingface/hub`).
    public let cacheRoot: URL
    /// `gpt2` or `openai-community/gpt2`, kept as given.
    public let repo: String

    public init(cacheRoot: URL, repo: String) throws {
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        guard !repo.isEmpty, parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw HubDownloadError.invalidRepository(repo)
        }
        self.cacheRoot = cacheRoot
        self.repo = repo
    }

    /// `models--ORG--NAME` (`gpt2` → `models--gpt2`).
    public var folderName: String { "models--" + repo.replacingOccurrences(of: "/", with: "--") }
    public var repoFolder: URL { cacheRoot.appendingPathComponent(folderName, isDirectory: true) }
    public var blobsFolder: URL { repoFolder.appendingPathComponent("blobs", isDirectory: true) }

    public func blob(_ name: String) -> URL { blobsFolder.appendingPathComponent(name) }
    public func incompleteBlob(_ name: String) -> URL { blobsFolder.appendingPathComponent(name + ".incomplete") }
    public func snapshotFolder(commit: String) -> URL {
        repoFolder.appendingPathComponent("snapshots", isDirectory: true).appendingPathComponent(commit, isDirectory: true)
    }
    public func ref(_ revision: String) -> URL {
        repoFolder.appendingPathComponent("refs", isDirectory: true).appendingPathComponent(revision)
    }

    /// The symlink target of `snapshots/<commit>/<file>`: `../../blobs/<blob>`, with one more
    /// `../` per folder inside `file`.
    public static func relativeBlobTarget(file: String, blob: String) -> String {
        let depth = file.split(separator: "/").count - 1
        return String(repeating: "../", count: 2 + depth) + "blobs/" + blob
    }

    /// An `ETag` header made into a blob file name: quotes and a weak `W/` prefix removed;
    /// nil when nothing usable remains (empty, or characters unsafe in a file name).
    public static func blobName(fromETag etag: String?) -> String? {
        guard var text = etag?.trimmingCharacters(in: .whitespaces) else { return nil }
        if text.hasPrefix("W/") { text.removeFirst(2) }
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard !text.isEmpty, text != ".", text != "..", text.unicodeScalars.allSatisfy(allowed.contains) else { return nil }
        return text
    }
}
