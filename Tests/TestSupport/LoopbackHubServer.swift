import Foundation
import JSONRPC
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (port chosen by the kernel) that serves files in the
/// hub's URL layout `/{repo}/resolve/{revision}/{file}` with `ETag`, `X-Repo-Commit`,
/// `Content-Length` and `Range: bytes=N-` (206), one request per connection.
///
/// Test knobs: `cutAfter[file] = n` sends the full headers but only `n` body bytes of the next
/// GET of `file`, then closes (one-shot); `ignoresRange` answers ranged GETs with a full 200.
/// Threading: serves on one background thread; knobs and `requests` are guarded by a lock.
public final class LoopbackHubServer: @unchecked Sendable {
    public struct Request: Equatable {
        public var method: String
        public var path: String
        public var range: String?
    }

    public static let commit = "4f2c9a0e1b7d42a8c3e5f60718293a4b5c6d7e8f"

    public let repo: String
    public let port: UInt16
    /// File name → content.
    public let files: [String: Data]

    private let listener: Int32
    private let lock = NSLock()
    private var stopped = false
    private var cuts: [String: Int] = [:]
    private var trickles: [String: (bytes: Int, interval: TimeInterval)] = [:]
    private var ignoreRange = false
    private var log: [Request] = []
    private let finished = DispatchSemaphore(value: 0)

    public var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    public var requests: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return log
    }

    public func cut(_ file: String, afterBytes count: Int) {
        lock.lock()
        cuts[file] = count
        lock.unlock()
    }

    /// The next GET of `file` sends its headers at once, then `bytes` body bytes every
    /// `interval` seconds (one-shot), until the body is sent, the client goes away or `stop()`.
    public func trickle(_ file: String, bytes: Int, every interval: TimeInterval) {
        lock.lock()
        trickles[file] = (bytes, interval)
        lock.unlock()
    }

    public func setIgnoresRange(_ flag: Bool) {
        lock.lock()
        ignoreRange = flag
        lock.unlock()
    }

    /// The ETag the server sends for `file`: FNV-1a 64 of the content, in hex.
    public static func etag(of data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(format: "%016llx", hash)
    }

    public init(repo: String, files: [String: Data]) throws {
        self.repo = repo
        self.files = files
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: actual.sin_port)
        let thread = Thread { [self] in serveLoop() }
        thread.start()
    }

    /// Stops accepting and waits (at most 2 s) for the serving thread to end.
    public func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        _ = finished.wait(timeout: .now() + 2)
        close(listener)
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func serveLoop() {
        defer { finished.signal() }
        while !isStopped {
            var waiting = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, 50) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            handle(client)
            close(client)
        }
    }

    /// Reads one request head (at most 16 KiB, 2 s) and answers it.
    private func handle(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while head.count < 16384, head.range(of: Data("\r\n\r\n".utf8)) == nil {
            let count = read(client, &buffer, buffer.count)
            guard count > 0 else { return }
            head.append(contentsOf: buffer[0..<count])
        }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines.first?.split(separator: " ").map(String.init) ?? []
        guard requestLine.count >= 2 else { return }
        let method = requestLine[0]
        let path = requestLine[1]
        var range: String?
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0].lowercased() == "range" { range = parts[1] }
        }
        lock.lock()
        log.append(Request(method: method, path: path, range: range))
        lock.unlock()
        answer(client, method: method, path: path, range: range)
    }

    private func answer(_ client: Int32, method: String, path: String, range: String?) {
        let prefix = "/\(repo)/resolve/"
        guard path.hasPrefix(prefix) else { return respond(client, status: "404 Not Found", headers: [:], body: Data("Repository not found".utf8)) }
        let rest = path.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: "/") else { return respond(client, status: "404 Not Found", headers: [:], body: Data()) }
        let revision = String(rest[..<slash])
        let file = String(rest[rest.index(after: slash)...])
        guard revision == "main" || revision == Self.commit, let content = files[file] else {
            return respond(client, status: "404 Not Found", headers: ["X-Error-Code": "EntryNotFound"], body: Data("Entry not found".utf8))
        }
        var headers = ["ETag": "\"\(Self.etag(of: content))\"", "X-Repo-Commit": Self.commit, "Accept-Ranges": "bytes"]
        var start = 0
        lock.lock()
        let honourRange = !ignoreRange
        let cut = method == "GET" ? cuts.removeValue(forKey: file) : nil
        let trickle = method == "GET" ? trickles.removeValue(forKey: file) : nil
        lock.unlock()
        if let range, honourRange, range.hasPrefix("bytes="), range.hasSuffix("-"),
           let offset = Int(range.dropFirst(6).dropLast()), offset < content.count {
            start = offset
            headers["Content-Range"] = "bytes \(offset)-\(content.count - 1)/\(content.count)"
        }
        let body = content.subdata(in: start..<content.count)
        let status = start > 0 ? "206 Partial Content" : "200 OK"
        if method == "HEAD" {
            headers["Content-Length"] = String(body.count)
            return respond(client, status: status, headers: headers, body: Data())
        }
        headers["Content-Length"] = String(body.count)
        if let trickle {
            respond(client, status: status, headers: headers, body: Data(), declaredLength: true)
            var offset = 0
            while offset < body.count, !isStopped {
                Thread.sleep(forTimeInterval: trickle.interval)
                let end = min(body.count, offset + trickle.bytes)
                guard writeAll(client, body.subdata(in: offset..<end)) else { return }
                offset = end
            }
            return
        }
        respond(client, status: status, headers: headers, body: cut.map { body.prefix($0) } ?? body, declaredLength: true)
    }

    private func respond(_ client: Int32, status: String, headers: [String: String], body: Data, declaredLength: Bool = false) {
        var text = "HTTP/1.1 \(status)\r\nConnection: close\r\n"
        var all = headers
        if !declaredLength, all["Content-Length"] == nil { all["Content-Length"] = String(body.count) }
        for (name, value) in all.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        writeAll(client, Data(text.utf8) + body)
    }

    /// False when the client went away.
    @discardableResult
    private func writeAll(_ client: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            var attempts = 0
            while offset < raw.count, attempts < 100_000 {
                attempts += 1
                let written = SystemCall.send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))  // no SIGPIPE
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
    }
}
