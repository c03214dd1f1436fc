import AttnProtocol
import Foundation
import JSONRPC

/// One stored run as `runs/get` returns it (`AttnProtocol.Run`), with the dates the report shows.
struct StoredRun {
    var id: String
    var method: String
    var status: String?
    /// Milliseconds since the Unix epoch.
    var createdAtMs: Double?
    /// Wall time of the run, milliseconds.
    var durationMs: Double?
    /// Model fingerprint (lowercase hex).
    var model: String?
    /// Canonical params (with `text` when the input was a text).
    var params: [String: JSONValue]
    /// The result as first returned, still to be decoded into the method's result type.
    var result: JSONValue?

    /// The first 8 characters of the id: enough to tell runs apart in legends and file names.
    var shortID: String { String(id.prefix(8)) }

    init(_ run: Run) {
        let s = run.summary
        id = s.id
        method = s.method
        status = s.status
        createdAtMs = StoredRun.milliseconds(rfc3339: s.createdAt)
        durationMs = s.durationMs.map(Double.init)
        model = s.model
        params = run.params.objectValue ?? [:]
        result = run.result
    }

    /// Decodes entry `index` of the caller's list as a `Run`; throws `ReportError.notARun`
    /// naming the first field that does not fit.
    static func decode(_ json: JSONValue, index: Int) throws -> StoredRun {
        guard let object = json.objectValue else {
            throw ReportError.notARun(index: index, field: "(entry)", hint: "is not a JSON object")
        }
        guard object["method"]?.stringValue != nil else {
            let hint = object["points"] != nil || object["layers"] != nil || object["runId"] != nil
                ? "is missing: this looks like an analysis result; pass the stored run from runs/get instead"
                : "must be a string naming the analysis (pruneSweep, perPositionKL, profileAttention, ...)"
            throw ReportError.notARun(index: index, field: "method", hint: hint)
        }
        guard let id = object["id"]?.stringValue, !id.isEmpty else {
            throw ReportError.notARun(index: index, field: "id", hint: "must be a non-empty string (the run id)")
        }
        do {
            return StoredRun(try json.decode(Run.self))
        } catch let error as DecodingError {
            let (field, hint) = ReportError.describe(error)
            throw ReportError.notARun(index: index, field: field, hint: hint)
        }
    }

    /// Decodes the result into the method's result type; nil when there is none.
    /// - Throws: the `DecodingError` when the stored result does not have the protocol's shape.
    func decodedResult<T: Decodable>(_ type: T.Type) throws -> T? {
        try result.map { try $0.decode(type) }
    }

    /// Milliseconds since the epoch of an RFC 3339 date-time (with or without fractional seconds).
    static func milliseconds(rfc3339 text: String?) -> Double? {
        guard let text else { return nil }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d.timeIntervalSince1970 * 1000 }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text).map { $0.timeIntervalSince1970 * 1000 }
    }
}
