import Foundation

/// Why a model could not be located.
public enum ModelLocatorError: Error, Equatable, CustomStringConvertible {
    /// The argument was empty.
    case emptyName
    /// A path was given but no folder exists there.
    case folderNotFound(path: String)
    /// The folder exists but holds no config.json.
    case noConfig(folder: String)
    /// A model name was not found in the HuggingFace cache. `searched` lists every place
    /// looked at with the reason it did not match.
    case notFound(name: String, searched: [String])

    public var description: String {
        switch self {
        case .emptyName:
            return "no model given: pass a folder path or a name such as gpt2"
        case .folderNotFound(let path):
            return "\(path): no such folder; pass a folder holding config.json and model.safetensors, or a model name such as gpt2"
        case .noConfig(let folder):
            return "\(folder) holds no config.json; a model folder needs config.json, model.safetensors, vocab.json and merges.txt"
        case .notFound(let name, let searched):
            let places = searched.map { "  - \($0)" }.joined(separator: "\n")
            return """
                model '\(name)' not found. Looked in:
                \(places)
                To get it: attn model pull \(name)
                  or: huggingface-cli download \(name) config.json model.safetensors vocab.json merges.txt
                """
        }
    }
}

/// Finds a model folder from what a user typed: a folder path, or a HuggingFace model name
/// looked up in the local hub cache. Touches only the file system, never the network.
public enum ModelLocator {
    /// Resolves `nameOrPath` to a folder that contains config.json.
    ///
    /// - A path (starting with `/`, `~`, `.`), or a relative folder holding config.json, is used
    ///   as is.
    /// - Otherwise it is a model name (`gpt2`, `openai-community/gpt2`, `distilgpt2`) looked up
    ///   in the hub cache (`hubCacheRoot(environment:)`) as `models--ORG--NAME`; the snapshot is
    ///   the one `refs/main` names under `snapshots/`, or the only snapshot when `refs/main` is
    ///   missing. A bare name is also tried under the organisation it moved to
    ///   (`gpt2` → `openai-community/gpt2`), and an organisation's name under its bare alias.
    /// - Parameter environment: the process environment (`HF_HUB_CACHE`, `HF_HOME`,
    ///   `XDG_CACHE_HOME`, `HOME`); passed in so tests can use a fake cache.
    /// - Throws: `ModelLocatorError`; `notFound` lists every place looked at.
    public static func resolve(_ nameOrPath: String, environment: [String: String]) throws -> URL {
        let argument = nameOrPath.trimmingCharacters(in: .whitespaces)
        guard !argument.isEmpty else { throw ModelLocatorError.emptyName }
        let home = homeDirectory(environment)

        if looksLikePath(argument) || repositoryIDs(for: argument).isEmpty {
            return try modelFolder(at: expandingTilde(argument, home: home))
        }
        let relative = URL(fileURLWithPath: argument, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)).standardizedFileURL
        let relativeConfig = relative.appendingPathComponent(GPT2Checkpoint.configFileName).path
        if FileManager.default.fileExists(atPath: relativeConfig) { return try modelFolder(at: relative.path) }

        var searched = ["\(relative.path) (\(isDirectory(relative) ? "a folder without config.json" : "no such folder"))"]
        let root = hubCacheRoot(environment: environment)
        for repoID in repositoryIDs(for: argument) {
            let repo = root.appendingPathComponent("models--" + repoID.replacingOccurrences(of: "/", with: "--"), isDirectory: true)
            switch snapshot(in: repo) {
            case .found(let folder): return folder
            case .notFound(let reason): searched.append("\(repo.path) (\(reason))")
            }
        }
        throw ModelLocatorError.notFound(name: argument, searched: searched)
    }

    /// The HuggingFace hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
    /// `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub` (as huggingface_hub).
    public static func hubCacheRoot(environment: [String: String]) -> URL {
        let home = homeDirectory(environment)
        func value(_ key: String) -> String? {
            guard let v = environment[key], !v.isEmpty else { return nil }
            return expandingTilde(v, home: home)
        }
        if let hubCache = value("HF_HUB_CACHE") { return URL(fileURLWithPath: hubCache, isDirectory: true) }
        if let hfHome = value("HF_HOME") { return URL(fileURLWithPath: hfHome, isDirectory: true).appendingPathComponent("hub") }
        if let xdg = value("XDG_CACHE_HOME") {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("huggingface/hub")
        }
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache/huggingface/hub")
    }

    /// Hub repository ids to try for `name`, in order; empty when `name` is not a valid id
    /// (`NAME` or `ORG/NAME` of letters, digits, `-`, `_`, `.`).
    public static func repositoryIDs(for name: String) -> [String] {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard (1...2).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.unicodeScalars.allSatisfy(allowed.contains) })
        else { return [] }
        if parts.count == 2 {
            return movedOrganisations[parts[1]] == parts[0] ? [name, parts[1]] : [name]
        }
        let organisation = movedOrganisations[name] ?? "openai-community"
        return [name, "\(organisation)/\(name)"]
    }

    /// Legacy bare model names and the organisation the hub moved them to.
    private static let movedOrganisations = [
        "gpt2": "openai-community", "gpt2-medium": "openai-community", "gpt2-large": "openai-community",
        "gpt2-xl": "openai-community", "distilgpt2": "distilbert",
    ]

    private enum SnapshotLookup { case found(URL), notFound(String) }

    /// The snapshot folder of one cached repository, or why there is none.
    private static func snapshot(in repo: URL) -> SnapshotLookup {
        guard isDirectory(repo) else { return .notFound("no such folder") }
        let snapshots = repo.appendingPathComponent("snapshots", isDirectory: true)
        let refURL = repo.appendingPathComponent("refs/main")
        let folder: URL
        // Read only a small regular file: a FIFO here would block the read forever.
        if isSmallRegularFile(refURL), let ref = try? String(contentsOf: refURL, encoding: .utf8) {
            let revision = ref.trimmingCharacters(in: .whitespacesAndNewlines)
            folder = snapshots.appendingPathComponent(revision, isDirectory: true)
            guard !revision.isEmpty, !revision.contains("/"), isDirectory(folder) else {
                return .notFound("refs/main names snapshot '\(revision)', which is not in snapshots/")
            }
        } else {
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: snapshots.path)) ?? [])
                .filter { isDirectory(snapshots.appendingPathComponent($0)) }.sorted()
            guard entries.count == 1 else {
                return .notFound(entries.isEmpty ? "no refs/main and no snapshots"
                    : "no refs/main to choose among \(entries.count) snapshots: \(entries.joined(separator: ", "))")
            }
            folder = snapshots.appendingPathComponent(entries[0], isDirectory: true)
        }
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(GPT2Checkpoint.configFileName).path) else {
            return .notFound("snapshot \(folder.lastPathComponent) has no config.json")
        }
        return .found(folder)
    }

    private static func modelFolder(at path: String) throws -> URL {
        let folder = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
        guard isDirectory(folder) else { throw ModelLocatorError.folderNotFound(path: folder.path) }
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(GPT2Checkpoint.configFileName).path) else {
            throw ModelLocatorError.noConfig(folder: folder.path)
        }
        return folder
    }

    private static func looksLikePath(_ s: String) -> Bool {
        s.hasPrefix("/") || s.hasPrefix("~") || s.hasPrefix(".")
    }

    private static func homeDirectory(_ environment: [String: String]) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        return NSHomeDirectory()
    }

    private static func expandingTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst(1) }
        return path
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &flag) && flag.boolValue
    }

    /// True when `url` is a regular file (symlinks followed) of at most `maxBytes` bytes.
    static func isSmallRegularFile(_ url: URL, maxBytes: Int = 4096) -> Bool {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFREG && Int(info.st_size) <= maxBytes
    }
}
