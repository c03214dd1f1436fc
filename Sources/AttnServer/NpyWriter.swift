import Foundation

/// Writes a float32 NumPy `.npy` file (format version 1.0, C order, little-endian) one slab
/// at a time, so a `(L, H, T, T)` attention tensor never has to exist in memory at once.
///
/// The file is written to a temporary sibling and renamed into place by `finish()`, so a
/// failed or cancelled export leaves no half-written file behind.
/// - Important: not thread-safe; one writer per export, used from the compute queue.
final class NpyWriter {
    enum Failure: Error, CustomStringConvertible {
        case relativePath(String)
        case missingFolder(String)
        case exists(String)
        case io(String, String)
        case sizeMismatch(expected: Int, written: Int)

        var description: String {
            switch self {
            case .relativePath(let p): return "exportPath must be an absolute path, got '\(p)'"
            case .missingFolder(let p): return "exportPath's folder '\(p)' does not exist"
            case .exists(let p): return "exportPath '\(p)' already exists (pass overwrite: true to replace it)"
            case .io(let p, let why): return "cannot write '\(p)': \(why)"
            case .sizeMismatch(let e, let w): return "export wrote \(w) floats, expected \(e)"
            }
        }
    }

    let path: String
    let shape: [Int]
    private let temporaryPath: String
    private let handle: FileHandle
    private var written = 0

    /// The path rules of `exportPath`: absolute, in an existing folder, not an existing file
    /// unless `overwrite`. Checked when the request is read and again when the file is opened.
    static func checkDestination(_ path: String, overwrite: Bool) throws {
        guard path.hasPrefix("/") else { throw Failure.relativePath(path) }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw Failure.missingFolder(folder)
        }
        if FileManager.default.fileExists(atPath: path) && !overwrite { throw Failure.exists(path) }
    }

    /// Checks the path rules and opens the temporary file.
    init(path: String, shape: [Int], overwrite: Bool) throws {
        try NpyWriter.checkDestination(path, overwrite: overwrite)
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        self.path = path
        self.shape = shape
        temporaryPath = folder + "/." + url.lastPathComponent + ".\(getpid()).partial"
        guard FileManager.default.createFile(atPath: temporaryPath, contents: nil),
              let h = FileHandle(forWritingAtPath: temporaryPath) else {
            throw Failure.io(path, String(cString: strerror(errno)))
        }
        handle = h
        try write(Data(NpyWriter.header(shape: shape)))
    }

    /// The `.npy` v1.0 header: magic, version, little-endian header length, then a Python
    /// dict literal padded with spaces so that the data starts on a 64-byte boundary.
    static func header(shape: [Int]) -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
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
        try write(Data(buffer: values))
        written += values.count
    }

    /// Checks the element count and renames the file into place.
    func finish() throws {
        let expected = shape.reduce(1, *)
        guard written == expected else { abandon(); throw Failure.sizeMismatch(expected: expected, written: written) }
        try? handle.close()
        if FileManager.default.fileExists(atPath: path) { try? FileManager.default.removeItem(atPath: path) }
        guard rename(temporaryPath, path) == 0 else {
            let why = String(cString: strerror(errno))
            abandon()
            throw Failure.io(path, why)
        }
    }

    /// Removes the temporary file (on error or cancellation).
    func abandon() {
        try? handle.close()
        unlink(temporaryPath)
    }

    private func write(_ data: Data) throws {
        do { try handle.write(contentsOf: data) } catch {
            abandon()
            throw Failure.io(path, "\(error)")
        }
    }
}
