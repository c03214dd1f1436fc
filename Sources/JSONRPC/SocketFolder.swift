import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The ownership checks unix(7) advises around a Unix-domain socket, shared by the daemon
/// (before it binds) and the client (before it connects).
///
/// A socket is only as private as the folder it lives in: whoever can write that folder can move
/// the socket aside and serve their own in its place. So the folder must be a real directory (not
/// a symlink), owned by the effective user, and writable by nobody else (group and other write
/// bits clear; mode 0700 when the daemon creates it). The socket file itself must be owned by the
/// effective user, and the process on the other end must run as the same user (`SO_PEERCRED`).
///
/// Threading: stateless; every function may be called from any thread.
public enum SocketFolder {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case notADirectory(folder: String)
        case symlink(folder: String)
        case foreignOwner(folder: String, owner: UInt32, expected: UInt32)
        case writableByOthers(folder: String, mode: UInt32)
        case foreignSocket(path: String, owner: UInt32, expected: UInt32)
        case foreignPeer(path: String, peer: UInt32, expected: UInt32)
        case system(call: String, path: String, errno: Int32)

        /// True for a refusal on ownership or mode (someone else's folder, socket or daemon), false
        /// for a failed system call.
        public var isOwnershipRefusal: Bool {
            if case .system = self { return false }
            return true
        }

        public var description: String {
            switch self {
            case .notADirectory(let folder):
                return "socket folder \(folder) is not a directory"
            case .symlink(let folder):
                return "socket folder \(folder) is a symbolic link; refusing it (use a real folder owned by you, mode 0700)"
            case .foreignOwner(let folder, let owner, let expected):
                return "socket folder \(folder) is owned by uid \(owner) (\(Self.userName(owner))), not by you (uid \(expected)); "
                    + "refusing it: another user could serve a fake daemon there. Remove it or choose another path"
            case .writableByOthers(let folder, let mode):
                return "socket folder \(folder) has mode \(String(mode & 0o7777, radix: 8)), writable by other users; "
                    + "refusing it (use a folder of your own with mode 0700, e.g. the default `attn socket-path`)"
            case .foreignSocket(let path, let owner, let expected):
                return "socket \(path) is owned by uid \(owner) (\(Self.userName(owner))), not by you (uid \(expected)); refusing to connect"
            case .foreignPeer(let path, let peer, let expected):
                return "the process serving \(path) runs as uid \(peer) (\(Self.userName(peer))), not as you (uid \(expected)); refusing it"
            case .system(let call, let path, let code):
                return "\(call)(\(path)) failed: \(String(cString: strerror(code)))"
            }
        }

        private static func userName(_ uid: UInt32) -> String {
            guard let entry = getpwuid(uid_t(uid)), let name = entry.pointee.pw_name else { return "unknown user" }
            return String(cString: name)
        }
    }

    /// The folder holding `socketPath` (`.` for a bare file name).
    public static func folder(ofSocket socketPath: String) -> String {
        let folder = (socketPath as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// Daemon side, before binding: creates the socket's folder with mode 0700 when it is absent
    /// (its missing parents too, each 0700), then verifies it (`verify(folder:)`).
    public static func prepare(forSocket socketPath: String) throws {
        let folder = folder(ofSocket: socketPath)
        var info = stat()
        if lstat(folder, &info) != 0 {
            guard errno == ENOENT else { throw Failure.system(call: "lstat", path: folder, errno: errno) }
            try createPrivateFolder(folder)
        }
        try verify(folder: folder)
    }

    /// Checks that `folder` is a real directory owned by the effective user and writable by no
    /// one else.
    public static func verify(folder: String) throws {
        var info = stat()
        guard lstat(folder, &info) == 0 else { throw Failure.system(call: "lstat", path: folder, errno: errno) }
        let kind = info.st_mode & S_IFMT
        if kind == S_IFLNK { throw Failure.symlink(folder: folder) }
        guard kind == S_IFDIR else { throw Failure.notADirectory(folder: folder) }
        let me = UInt32(geteuid())
        guard UInt32(info.st_uid) == me else {
            throw Failure.foreignOwner(folder: folder, owner: UInt32(info.st_uid), expected: me)
        }
        guard info.st_mode & 0o022 == 0 else { throw Failure.writableByOthers(folder: folder, mode: UInt32(info.st_mode)) }
    }

    /// Client side, before connecting: the folder passes `verify(folder:)` and the socket file
    /// (when present) is owned by the effective user.
    /// A missing folder or socket passes (the connect that follows reports it).
    public static func verifyBeforeConnecting(socketPath: String) throws {
        var info = stat()
        let folder = folder(ofSocket: socketPath)
        if lstat(folder, &info) != 0, errno == ENOENT { return }
        try verify(folder: folder)
        guard lstat(socketPath, &info) == 0 else { return }   // absent: connect reports it
        let me = UInt32(geteuid())
        guard UInt32(info.st_uid) == me else {
            throw Failure.foreignSocket(path: socketPath, owner: UInt32(info.st_uid), expected: me)
        }
    }

    /// The effective uid of the process at the other end of a connected Unix socket
    /// (`SO_PEERCRED`, recorded by the kernel at connect/listen time); nil if unavailable.
    public static func peerUID(of fd: Int32) -> UInt32? {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } (glibc hides the name behind _GNU_SOURCE).
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0,
              Int(length) == MemoryLayout.size(ofValue: credentials) else { return nil }
        return credentials.uid
    }

    /// Refuses a connected peer that runs as another user.
    public static func verifyPeer(of fd: Int32, socketPath: String) throws {
        let me = UInt32(geteuid())
        guard let peer = peerUID(of: fd) else { throw Failure.system(call: "getsockopt(SO_PEERCRED)", path: socketPath, errno: errno) }
        guard peer == me else { throw Failure.foreignPeer(path: socketPath, peer: peer, expected: me) }
    }

    private static func createPrivateFolder(_ folder: String) throws {
        let parent = (folder as NSString).deletingLastPathComponent
        var info = stat()
        if !parent.isEmpty, parent != folder, lstat(parent, &info) != 0, errno == ENOENT {
            try createPrivateFolder(parent)
        }
        if mkdir(folder, 0o700) == 0 {
            // mkdir's mode is masked by the umask; 0700 must hold whatever the umask is.
            chmod(folder, 0o700)
        } else if errno != EEXIST {
            throw Failure.system(call: "mkdir", path: folder, errno: errno)
        }
    }
}
