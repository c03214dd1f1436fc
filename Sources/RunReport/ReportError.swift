import Foundation

/// Input the report cannot read. Messages name the offending run and field and say what a
/// run looks like.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    /// The list of runs was empty.
    case noRuns
    /// `data` is not JSON, or not a JSON object / array of objects.
    case invalidJSON(reason: String)
    /// Entry `index` is not a stored run (`runs/get` output): `field` is missing or has the wrong type.
    case notARun(index: Int, field: String, hint: String)

    /// The JSON path and a reason for a `DecodingError` (`result.points[1].blockSize`, "is missing").
    static func describe(_ error: DecodingError) -> (field: String, hint: String) {
        func path(_ keys: [CodingKey]) -> String {
            keys.reduce("") { text, key in
                if let index = key.intValue { return text + "[\(index)]" }
                return text.isEmpty ? key.stringValue : text + "." + key.stringValue
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "is missing")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return (path(context.codingPath), "has the wrong type or value (\(context.debugDescription))")
        @unknown default:
            return ("(entry)", "cannot be read (\(error))")
        }
    }

    public var description: String {
        switch self {
        case .noRuns:
            return "no runs given: pass at least one stored run (the result of runs/get)"
        case .invalidJSON(let reason):
            return "input is not a run in JSON: \(reason); expected a runs/get result object or an array of them"
        case .notARun(let index, let field, let hint):
            return "runs[\(index)] is not a stored run: field `\(field)` \(hint); expected runs/get output {id, method, status, createdAt, durationMs, model, params, result}"
        }
    }
}
