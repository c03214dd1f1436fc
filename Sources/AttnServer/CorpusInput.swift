import AttnProtocol
import Foundation
import Glibc
import JSONRPC

/// The corpus of an `evaluateCorpus` request: its `text`, or the UTF-8 file at `path`.
enum CorpusInput {
    /// The corpus text. A `path` is opened without following a FIFO's wait (`O_NONBLOCK`), must be
    /// a regular file of at most `EvaluateCorpusParams.maxCorpusBytes` and valid UTF-8; anything
    /// else is -32602 with `field: "path"` saying which.
    /// - Important: called on the compute queue (reads the file).
    static func text(of p: EvaluateCorpusParams) throws -> String {
        if let text = p.text { return text }
        guard let path = p.path else { throw RPCError.invalidParams(field: "text|path", value: nil, accepted: "exactly one of `text`, `path`") }
        let limit = EvaluateCorpusParams.maxCorpusBytes
        func refuse(_ why: String) -> RPCError {
            RPCError.invalidParams(field: "path", value: .string(path),
                                   accepted: "a readable regular UTF-8 file of at most \(limit) bytes",
                                   message: "invalid params: `path` \(path): \(why)")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw refuse("cannot be opened (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw refuse("cannot be read (\(String(cString: strerror(errno))))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw refuse("is not a regular file") }
        guard Int(info.st_size) <= limit else { throw refuse("is \(info.st_size) bytes, over the limit of \(limit) bytes") }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw refuse("cannot be read (\(String(cString: strerror(errno))))") }
            if n == 0 { break }
            filled += n
        }
        guard let text = String(validating: bytes[0..<filled], as: UTF8.self) else {
            throw refuse("is not valid UTF-8")
        }
        return text
    }
}
