import Foundation
#if canImport(Glibc)
import Glibc
#else
#error("SelectAttention builds on Linux only: JSONRPC calls Glibc directly (sockets, poll, pipes)")
#endif

/// Unix-domain stream sockets: the low-level calls shared by the client (connect) and the
/// daemon (bind/listen/accept). Paths are limited by `sockaddr_un` (107 bytes on Linux).
public enum UnixSocket {
    public enum Failure: Error, CustomStringConvertible {
        case pathTooLong(path: String, limitBytes: Int)
        case system(call: String, path: String, errno: Int32)

        public var description: String {
            switch self {
            case .pathTooLong(let path, let limit):
                return "socket path \(path) is longer than \(limit) bytes; use a shorter path"
            case .system(let call, let path, let code):
                return "\(call)(\(path)) failed: \(String(cString: strerror(code)))"
            }
        }

        /// The `errno` of a failed call, if any.
        public var errnoCode: Int32? {
            if case .system(_, _, let code) = self { return code }
            return nil
        }
    }

    private static func withAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) throws -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard bytes.count < capacity else { throw Failure.pathTooLong(path: path, limitBytes: capacity - 1) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// Connects to a listening socket; returns the connected descriptor.
    public static func connect(path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.system(call: "socket", path: path, errno: errno) }
        setCloseOnExec(fd)
        let result = try withAddress(path) { SystemCall.connect(fd, $0, $1) }
        if result != 0 {
            let code = errno
            SystemCall.close(fd)
            throw Failure.system(call: "connect", path: path, errno: code)
        }
        return fd
    }

    /// Creates, binds (file mode 0600) and listens; returns the listening descriptor.
    /// Fails with EADDRINUSE when the path exists: the caller decides whether it is stale.
    public static func listen(path: String, backlog: Int32 = 64) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.system(call: "socket", path: path, errno: errno) }
        setCloseOnExec(fd)
        let previousMask = umask(0o177)  // the socket file is created 0600: no window with wider access
        let bound = try withAddress(path) { bind(fd, $0, $1) }
        let bindErrno = errno
        umask(previousMask)
        if bound != 0 {
            SystemCall.close(fd)
            throw Failure.system(call: "bind", path: path, errno: bindErrno)
        }
        chmod(path, 0o600)
        guard SystemCall.listen(fd, backlog) == 0 else {
            let code = errno
            SystemCall.close(fd)
            throw Failure.system(call: "listen", path: path, errno: code)
        }
        return fd
    }

    /// Accepts one client; the descriptor is close-on-exec. Retries on EINTR.
    public static func accept(listener: Int32) throws -> Int32 {
        while true {
            let fd = SystemCall.accept(listener)
            if fd >= 0 {
                setCloseOnExec(fd)
                return fd
            }
            if errno == EINTR || errno == ECONNABORTED { continue }
            throw Failure.system(call: "accept", path: "listener", errno: errno)
        }
    }

    /// What is at `path`, for the "live daemon or stale file" decision.
    public enum PathState: Equatable {
        case absent
        /// A socket that accepts connections: another daemon is serving it.
        case live
        /// A socket file nobody listens on (left by a daemon that died).
        case stale
        /// Something that is not a socket; never deleted.
        case notASocket
    }

    public static func probe(path: String) -> PathState {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .absent }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { return .notASocket }
        if let fd = try? connect(path: path) {
            SystemCall.close(fd)
            return .live
        }
        return .stale
    }
}
