import Foundation

/// Where an `exportPath` may be written, and what stands there now.
///
/// Rules (Protocol/README.md §10, `exportPath`):
/// - without `--export-dir`: the path is absolute and its folder exists;
/// - with `--export-dir DIR`: a relative path is resolved against DIR, and the folder (symbolic
///   links resolved) must be DIR or inside it;
/// - an existing **regular file** is replaced only with `overwrite: true`; a directory, FIFO,
///   device, socket or symbolic link is never replaced.
///
/// Checked when the request is read, again when the file is opened, and again just before the
/// finished file is renamed into place.
struct ExportDestination: Equatable {
    /// The file to write: as given, or (with an export folder) the resolved absolute path.
    let path: String
    /// The existing folder the file goes into (the temporary file is created there).
    let folder: String

    enum Failure: Error, CustomStringConvertible, Equatable {
        case relativePath(String)
        case notAFileName(String)
        case missingFolder(String)
        case outsideExportFolder(path: String, exportFolder: String)
        case exists(String)
        /// Something other than a regular file is there (`what`: "a directory", "a FIFO", …).
        case notReplaceable(path: String, what: String)
        case io(String, String)
        case sizeMismatch(expected: Int, written: Int)

        var description: String {
            switch self {
            case .relativePath(let p): return "exportPath must be an absolute path (or start attnd with --export-dir), got '\(p)'"
            case .notAFileName(let p): return "exportPath '\(p)' does not name a file (it ends in '/', '.' or is empty)"
            case .missingFolder(let p): return "exportPath's folder '\(p)' does not exist"
            case .outsideExportFolder(let p, let dir): return "exportPath '\(p)' is outside the export folder '\(dir)' (--export-dir)"
            case .exists(let p): return "exportPath '\(p)' already exists (pass overwrite: true to replace it)"
            case .notReplaceable(let p, let what):
                return "exportPath '\(p)' is \(what); exports replace only regular files"
            case .io(let p, let why): return "cannot write '\(p)': \(why)"
            case .sizeMismatch(let e, let w): return "export wrote \(w) floats, expected \(e)"
            }
        }
    }

    /// Resolves `requested` under the rules above. `exportFolder` is `--export-dir`, already
    /// resolved to a real absolute path (no symbolic links), or nil.
    static func resolve(_ requested: String, exportFolder: String?, overwrite: Bool) throws -> ExportDestination {
        let absolute: String
        if requested.hasPrefix("/") {
            absolute = requested
        } else if let exportFolder {
            absolute = exportFolder + "/" + requested
        } else {
            throw Failure.relativePath(requested)
        }
        guard let slash = absolute.lastIndex(of: "/") else { throw Failure.relativePath(requested) }
        let name = String(absolute[absolute.index(after: slash)...])
        guard !name.isEmpty, name != "." else { throw Failure.notAFileName(requested) }
        let givenFolder = slash == absolute.startIndex ? "/" : String(absolute[..<slash])
        guard isDirectory(givenFolder) else { throw Failure.missingFolder(givenFolder) }

        let destination: ExportDestination
        if let exportFolder {
            guard let real = realPath(givenFolder) else { throw Failure.missingFolder(givenFolder) }
            guard real == exportFolder || real.hasPrefix(exportFolder == "/" ? "/" : exportFolder + "/") else {
                throw Failure.outsideExportFolder(path: requested, exportFolder: exportFolder)
            }
            destination = ExportDestination(path: (real == "/" ? "" : real) + "/" + name, folder: real)
        } else {
            destination = ExportDestination(path: absolute, folder: givenFolder)
        }
        try destination.checkReplaceable(overwrite: overwrite)
        return destination
    }

    /// Refuses what stands at `path` unless it is nothing, or a regular file and `overwrite`.
    /// Uses `lstat`: a symbolic link is judged as itself, never followed.
    func checkReplaceable(overwrite: Bool) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw Failure.io(path, String(cString: strerror(errno)))
        }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG else { throw Failure.notReplaceable(path: path, what: ExportDestination.describe(type)) }
        if !overwrite { throw Failure.exists(path) }
    }

    /// "a directory", "a FIFO", … for a `st_mode & S_IFMT`.
    static func describe(_ type: mode_t) -> String {
        switch type {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        case S_IFREG: return "a regular file"
        default: return "a special file"
        }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// The canonical absolute path (symbolic links, `.` and repeated `/` resolved), or nil.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

extension ServerConfiguration {
    /// Why `--export-dir` cannot be used.
    public struct ExportDirectoryError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `--export-dir PATH` as the daemon keeps it: an existing folder, resolved to its real
    /// absolute path (a relative PATH against the working directory). Throws when PATH breaks
    /// `PathRules` or is not an existing folder.
    public static func resolveExportDirectory(_ path: String) throws -> String {
        guard let real = ExportDestination.realPath(path) else {
            throw ExportDirectoryError(description: "--export-dir '\(path)': \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard stat(real, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw ExportDirectoryError(description: "--export-dir '\(path)' is not a folder")
        }
        return real
    }
}
