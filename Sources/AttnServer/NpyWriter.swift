import Foundation
import JSONRPC

/// Writes a float32 (or int32) NumPy `.npy` file (format version 1.0, C order, little-endian)
/// one slab at a time, so a `(L, H, T, T)` attention tensor never has to exist in memory at once.
///
/// The file is written to a new temporary file in the destination's folder (created with
/// `O_EXCL | O_NOFOLLOW`, so nothing planted under that name is followed), flushed to disk
/// (`fsync`) and only then renamed into place by `finish()`. Every failed `write`, `fsync`
/// or `close` (a full disk, a file-size limit) is an error, and a failed or cancelled export
/// leaves no file behind. Without `overwrite` the rename cannot replace a file that appeared
/// meanwhile (it is a `link`, which refuses an existing name).
/// - Important: not thread-safe; one writer per export, used from the compute queue.
final class NpyWriter {
    typealias Failure = ExportDestination.Failure

    /// The element type, as the header's `descr` names it.
    enum Element: String {
        case float32 = "<f4"
        case int32 = "<i4"
    }

    let destination: ExportDestination
    let shape: [Int]
    let element: Element
    private let overwrite: Bool
    private let temporaryPath: String
    private var descriptor: Int32
    private var written = 0

    /// The file that will be written (absolute).
    var path: String { destination.path }

    /// Checks the destination again and opens the temporary file.
    init(destination: ExportDestination, shape: [Int], overwrite: Bool, element: Element = .float32) throws {
        try destination.checkReplaceable(overwrite: overwrite)
        self.destination = destination
        self.shape = shape
        self.element = element
        self.overwrite = overwrite
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        temporaryPath = (destination.folder == "/" ? "" : destination.folder) + "/.attnd-export-\(getpid())-\(suffix).partial"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Failure.io(destination.path, "cannot create a temporary file in \(destination.folder): \(String(cString: strerror(errno)))")
        }
        try write(NpyWriter.header(shape: shape, element: element))
    }

    /// The `.npy` v1.0 header: magic, version, little-endian header length, then a Python
    /// dict literal padded with spaces so that the data starts on a 64-byte boundary.
    static func header(shape: [Int], element: Element = .float32) -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var dict = "{'descr': '\(element.rawValue)', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let n = UInt16(dict.utf8.count)
        bytes += [UInt8(n & 0xff), UInt8(n >> 8)]
        bytes += Array(dict.utf8)
        return bytes
    }

    /// Appends the next `values.count` floats in C order.
    func append(_ values: UnsafeBufferPointer<Float>) throws {
        precondition(element == .float32, "a float32 writer")
        try write(UnsafeRawBufferPointer(values))
        written += values.count
    }

    /// Appends the next `values.count` int32s in C order (little-endian, as every platform
    /// this builds for).
    func append(_ values: [Int32]) throws {
        precondition(element == .int32, "an int32 writer")
        try values.withUnsafeBytes { try write($0) }
        written += values.count
    }

    /// Checks the element count, flushes the file to disk and renames it into place.
    func finish() throws {
        let expected = shape.reduce(1, *)
        guard written == expected else { abandon(); throw Failure.sizeMismatch(expected: expected, written: written) }
        if fsync(descriptor) != 0 { try fail("fsync: \(String(cString: strerror(errno)))") }
        let closed = close(descriptor)
        descriptor = -1
        if closed != 0 { try fail("close: \(String(cString: strerror(errno)))") }
        do { try destination.checkReplaceable(overwrite: overwrite) } catch { abandon(); throw error }
        if !overwrite && link(temporaryPath, path) == 0 {
            unlink(temporaryPath)
        } else if !overwrite && errno == EEXIST {
            abandon()
            throw Failure.exists(path)
        } else if rename(temporaryPath, path) != 0 {
            // With overwrite, or on a file system without hard links. rename(2) never replaces
            // a directory with a file (EISDIR), so a directory that appeared meanwhile survives.
            try fail(String(cString: strerror(errno)))
        }
        NpyWriter.syncFolder(destination.folder)
    }

    /// Removes the temporary file (on error or cancellation).
    func abandon() {
        if descriptor >= 0 { close(descriptor); descriptor = -1 }
        unlink(temporaryPath)
    }

    deinit {
        if descriptor >= 0 { abandon() }
    }

    private func fail(_ why: String) throws -> Never {
        abandon()
        throw Failure.io(path, why)
    }

    private func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        do { try NpyWriter.writeAll(descriptor, bytes) } catch let failure as WriteFailure {
            try fail(failure.reason)
        }
    }

    /// The `errno` text of a failed `write(2)`.
    struct WriteFailure: Error, Equatable {
        let reason: String
    }

    /// Writes every byte to `fd`, retrying short writes and EINTR; any other failure
    /// (ENOSPC on a full disk, EFBIG past the file-size limit, EIO) throws `WriteFailure`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        guard var next = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let n = SystemCall.write(fd, next, remaining)
            if n < 0 {
                if errno == EINTR { continue }
                throw WriteFailure(reason: String(cString: strerror(errno)))
            }
            guard n > 0 else { throw WriteFailure(reason: "write(2) wrote nothing") }
            next += n
            remaining -= n
        }
    }

    /// Creates `path` (which must not exist; never following a link), writes `bytes` and
    /// flushes them to disk; a failure removes the file.
    static func writeNewFile(_ bytes: [UInt8], at path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure.io(path, String(cString: strerror(errno))) }
        var failure: String?
        do { try bytes.withUnsafeBytes { try writeAll(fd, $0) } } catch let f as WriteFailure { failure = f.reason }
        if failure == nil && fsync(fd) != 0 { failure = "fsync: \(String(cString: strerror(errno)))" }
        if close(fd) != 0 && failure == nil { failure = "close: \(String(cString: strerror(errno)))" }
        if let failure {
            unlink(path)
            throw Failure.io(path, failure)
        }
    }

    /// Makes the rename durable (best effort: some file systems refuse fsync on a folder).
    static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
