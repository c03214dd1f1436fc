import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be memory-mapped.
public enum MappedFileError: Error, Equatable, CustomStringConvertible {
    /// Nothing exists at `path`.
    case notFound(path: String)
    /// The file exists but could not be opened or inspected (permissions, I/O error).
    case notReadable(path: String, reason: String)
    /// `path` is a directory, device or other non-regular file.
    case notARegularFile(path: String)
    /// `mmap` refused the file.
    case mapFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let path):
            return "\(path): no such file"
        case .notReadable(let path, let reason):
            return "\(path): cannot be read (\(reason)); check the file's permissions"
        case .notARegularFile(let path):
            return "\(path): not a regular file (a directory or device?); expected a file"
        case .mapFailed(let path, let reason):
            return "\(path): cannot be memory-mapped (\(reason))"
        }
    }
}

/// A whole file mapped read-only into memory. The mapping lives as long as this object and is
/// unmapped in `deinit`; pointers into `bytes` are valid only while it is alive, so views into
/// it (such as a `FloatTensor`) keep it as their `owner`.
///
/// - Important: the bytes are immutable and may be read from any thread. If another process
///   truncates the file while it is mapped, reads past the new end fault (SIGBUS): that is the
///   usual mmap contract and the reason checkpoints should not be rewritten in place.
public final class MappedFile: @unchecked Sendable {
    /// The file that was mapped.
    public let url: URL
    /// The file's contents: `bytes.count` is the file size in bytes. Empty files have an
    /// empty buffer and no mapping.
    public let bytes: UnsafeRawBufferPointer
    /// What the file system said about the mapped file when it was opened (same descriptor).
    public let identity: FileIdentity

    /// Maps the file at `url` read-only.
    /// - Throws: `MappedFileError` naming the path and what went wrong.
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        // O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused as not a regular file).
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw MappedFileError.notFound(path: path) }
            throw MappedFileError.notReadable(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw MappedFileError.notReadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw MappedFileError.notARegularFile(path: path) }
        identity = FileIdentity(path: path, status: info)

        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw MappedFileError.mapFailed(path: path, reason: String(cString: strerror(errno)))
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// Drops the file's pages from this process's resident memory (`madvise(MADV_DONTNEED)`).
    /// The mapping stays valid: a later read faults the page back in from the page cache.
    /// Used once the forward pass has packed its own copy of the large matrices.
    public func releaseResidentPages() {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, MADV_DONTNEED)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
