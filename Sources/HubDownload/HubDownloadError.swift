import Foundation

/// Why a download failed. Every message names the file, repository or endpoint and says what to do.
public enum HubDownloadError: Error, Equatable, CustomStringConvertible {
    /// The repository name is empty or has empty parts (`org//name`).
    case invalidRepository(String)
    /// The endpoint could not be reached (offline, refused, DNS, TLS, connection lost).
    case unreachable(endpoint: String, reason: String)
    /// HTTP 404 (or 401, which the hub answers for repositories that do not exist).
    case notFound(repo: String, file: String, revision: String, url: String)
    /// Any other HTTP status.
    case httpStatus(code: Int, url: String)
    /// The server sent fewer bytes than it announced; the partial file is kept for resuming.
    case incomplete(file: String, receivedBytes: Int64, expectedBytes: Int64)
    /// Creating folders, writing, renaming or linking failed.
    case disk(path: String, reason: String)
    /// The caller cancelled the download (the partial file is kept for resuming).
    case cancelled(file: String)
    /// Fewer than `minimumBytes` arrived in `seconds` seconds (a trickling or frozen server);
    /// the partial file is kept for resuming.
    case stalled(file: String, receivedBytes: Int64, minimumBytes: Int, seconds: Double)

    public var description: String {
        switch self {
        case .invalidRepository(let repo):
            return "invalid repository name \"\(repo)\": expected NAME or ORG/NAME, e.g. gpt2 or openai-community/gpt2"
        case .unreachable(let endpoint, let reason):
            return "could not reach \(endpoint): \(reason); check the network, or set HF_ENDPOINT to a reachable mirror"
        case .notFound(let repo, let file, let revision, let url):
            return "\(file) not found in \(repo) at revision \(revision) (\(url)); check the repository name and revision"
        case .httpStatus(let code, let url):
            return "HTTP \(code) from \(url)"
        case .incomplete(let file, let received, let expected):
            return "\(file): the connection ended after \(received) of \(expected) bytes; run the download again to resume"
        case .disk(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .cancelled(let file):
            return "the download of \(file) was cancelled; run it again to resume"
        case .stalled(let file, let received, let minimum, let seconds):
            return "\(file): stalled — fewer than \(minimum) bytes in \(String(format: "%g", seconds)) s (\(received) bytes received so far); the server is too slow or frozen; run the download again to resume"
        }
    }
}
