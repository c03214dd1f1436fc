#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's identity and version as `stat` reports them: the key under which a digest of its
/// contents may be remembered (`WeightsDigestCache`).
///
/// Any write to the file changes its change time (`ctime`, which no user call can set back,
/// unlike `mtime`), and a replacement gets a new inode; so two equal identities mean the same
/// bytes, except for an in-place rewrite of the same size within one tick of the kernel's
/// timestamp clock (a few milliseconds on Linux).
public struct FileIdentity: Hashable, Sendable {
    /// The path the file was opened by.
    public let path: String
    public let device: UInt64
    public let inode: UInt64
    /// Bytes.
    public let size: Int64
    /// Modification time, nanoseconds since 1970.
    public let modifiedNanoseconds: Int64
    /// Status-change time, nanoseconds since 1970.
    public let changedNanoseconds: Int64

    init(path: String, status info: stat) {
        self.path = path
        device = UInt64(truncatingIfNeeded: info.st_dev)
        inode = UInt64(truncatingIfNeeded: info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modifiedNanoseconds = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        changedNanoseconds = Int64(info.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(info.st_ctimespec.tv_nsec)
        #else
        modifiedNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        changedNanoseconds = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        #endif
    }
}
