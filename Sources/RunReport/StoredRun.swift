import Foundation

/// One stored run as `runs/get` returns it: the fields the report reads, the rest ignored.
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
    var params: [String: Any]
    var result: [String: Any]?

    /// The first 8 characters of the id: enough to tell runs apart in legends and file names.
    var shortID: String { String(id.prefix(8)) }

    /// Reads entry `index` of the caller's list; throws when it is not a stored run.
    init(json: [String: Any], index: Int) throws {
        guard let method = json["method"] as? String else {
            let hint = json["points"] != nil || json["layers"] != nil || json["runId"] != nil
                ? "is missing: this looks like an analysis result; pass the stored run from runs/get instead"
                : "must be a string naming the analysis (pruneSweep, perPositionKL, profileAttention, ...)"
            throw ReportError.notARun(index: index, field: "method", hint: hint)
        }
        guard let id = json["id"] as? String, !id.isEmpty else {
            throw ReportError.notARun(index: index, field: "id", hint: "must be a non-empty string (the run id)")
        }
        if let params = json["params"], !(params is [String: Any]), !(params is NSNull) {
            throw ReportError.notARun(index: index, field: "params", hint: "must be an object")
        }
        if let result = json["result"], !(result is [String: Any]), !(result is NSNull) {
            throw ReportError.notARun(index: index, field: "result", hint: "must be an object or null")
        }
        self.id = id
        self.method = method
        status = json["status"] as? String
        // `runs/get` writes RFC 3339 text; milliseconds since the epoch are accepted too.
        createdAtMs = LooseJSON.double(json["createdAt"]) ?? StoredRun.milliseconds(rfc3339: json["createdAt"] as? String)
        durationMs = LooseJSON.double(json["durationMs"])
        model = (json["model"] as? String) ?? ((json["result"] as? [String: Any])?["model"] as? String)
        params = (json["params"] as? [String: Any]) ?? [:]
        result = json["result"] as? [String: Any]
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
