import JSONRPC

/// The rules every path the daemon is given must follow, over the wire (`exportPath`,
/// `model.path`, `model.name`) and on its command line (`--db`, `--model`, `--export-dir`).
///
/// - A NUL byte is refused: the C calls underneath would cut the path at it and act on another
///   file (`…/keep.txt\u0000.npy` is `…/keep.txt` to `open`).
/// - A `..` segment is refused: a path says where it points without climbing out of a folder.
public enum PathRules {
    /// A broken rule: what the path holds (`found`) and what is accepted instead.
    public struct Problem: Equatable, Sendable {
        /// "holds a NUL byte", "has a `..` segment".
        public var found: String
        /// "a path without NUL bytes", "a path without `..` segments".
        public var accepted: String
    }

    /// The first rule `path` breaks, or nil when it follows them all.
    public static func problem(in path: String) -> Problem? {
        if path.utf8.contains(0) { return Problem(found: "holds a NUL byte", accepted: "a path without NUL bytes") }
        if path.split(separator: "/", omittingEmptySubsequences: true).contains("..") {
            return Problem(found: "has a `..` segment", accepted: "a path without `..` segments")
        }
        return nil
    }
}

extension ParamReader {
    /// A string param that names a file or folder: a string that follows `PathRules`
    /// (-32602 naming the field otherwise). Nil when absent.
    public func optionalPath(_ field: String) throws -> String? {
        guard let path = try optionalString(field) else { return nil }
        if let problem = PathRules.problem(in: path) {
            throw invalid(field, accepted: problem.accepted,
                          message: "invalid params: `\(fieldPath(field))` \(problem.found); accepted: \(problem.accepted)")
        }
        return path
    }

    /// A required path param (see `optionalPath`).
    public func path(_ field: String) throws -> String {
        guard let path = try optionalPath(field) else {
            throw RPCError.invalidParams(field: fieldPath(field), value: nil, accepted: "a string (required)")
        }
        return path
    }
}
