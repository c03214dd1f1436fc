import Foundation
import GRDB

/// Every failure of the run history. Messages name the file, run id or field involved and say
/// what to do; the daemon shows them as `history: {stored: false, reason}` or as a `runs/*` error.
public enum RunStoreError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The file or its folder cannot be written (permissions, read-only file system).
    case unwritable(path: String, reason: String)
    /// Another writer held the database longer than the busy timeout (seconds).
    case locked(path: String, timeoutSeconds: Double)
    /// The file is not an SQLite database, or its pages are damaged (SQLITE_NOTADB / SQLITE_CORRUPT).
    case corrupt(path: String, reason: String)
    /// The disk (or the SQLite size limit) is full (SQLITE_FULL).
    case diskFull(path: String)
    /// No run with this id.
    case runNotFound(id: String)
    /// The run exists but is no longer `running`, so it cannot be completed, failed or cancelled.
    case runNotRunning(id: String, status: RunStatus)
    /// An argument is outside its accepted range, e.g. `limit` 0 or params that are not a JSON object.
    case invalidArgument(field: String, value: String, accepted: String)
    /// Any other SQLite failure (I/O error, …), with SQLite's extended result code.
    case database(path: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case let .unwritable(path, reason):
            return "run history \(path) is not writable (\(reason)); choose another file with --db PATH or run with --no-history"
        case let .locked(path, timeout):
            return "run history \(path) stayed locked by another writer for more than \(timeout) s; try again"
        case let .corrupt(path, reason):
            return "run history \(path) is not a valid SQLite database (\(reason)); move it aside or choose another file with --db PATH"
        case let .diskFull(path):
            return "run history \(path): the disk is full; free space or prune old runs (runs/prune)"
        case let .runNotFound(id):
            return "no run with id \(id) in the run history"
        case let .runNotRunning(id, status):
            return "run \(id) is \(status.rawValue), not running; only a running run can be completed, failed or cancelled"
        case let .invalidArgument(field, value, accepted):
            return "invalid \(field): \(value); accepted: \(accepted)"
        case let .database(path, code, message):
            return "run history \(path): SQLite error \(code): \(message)"
        }
    }

    public var errorDescription: String? { description }

    /// Translates any error thrown while using the database at `path` into a `RunStoreError`.
    static func translating(_ error: any Error, path: String, busyTimeout: Double) -> RunStoreError {
        if let error = error as? RunStoreError { return error }
        guard let sqlite = error as? DatabaseError else {
            return .unwritable(path: path, reason: "\(error)")
        }
        let message = sqlite.message ?? "\(sqlite.resultCode)"
        switch sqlite.resultCode {
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
            return .unwritable(path: path, reason: message)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return .locked(path: path, timeoutSeconds: busyTimeout)
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return .corrupt(path: path, reason: message)
        case .SQLITE_FULL:
            return .diskFull(path: path)
        default:
            return .database(path: path, code: sqlite.extendedResultCode.rawValue, message: message)
        }
    }
}
