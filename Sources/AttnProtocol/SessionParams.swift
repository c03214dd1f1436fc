import Foundation
import JSONRPC

/// `model/load` params, and the `model` member of `initialize`: `{path}` or `{name, download?}`.
public struct ModelLoadParams: MethodParams, Equatable {
    /// An absolute folder path.
    public var path: String?
    /// A name resolved in the HuggingFace cache.
    public var name: String?
    /// With `name` only: fetch the files when the model is not in the cache.
    public var download: Bool
    /// Swap the model even while other clients are connected (they are sent `$/modelChanged`).
    public var force: Bool

    public init(path: String? = nil, name: String? = nil, download: Bool = false, force: Bool = false) {
        self.path = path
        self.name = name
        self.download = download
        self.force = force
    }

    public init(reading r: ParamReader) throws {
        switch try r.oneOf(["path", "name"]) {
        case "path":
            let p = try r.path("path")
            guard p.hasPrefix("/") else { throw r.invalid("path", accepted: "an absolute path to a model folder") }
            if r.has("download") { throw r.invalid("download", accepted: "only with `name`") }
            (path, name, download) = (p, nil, false)
        default:
            let n = try r.path("name")
            guard !n.isEmpty else { throw r.invalid("name", accepted: "a model name such as gpt2") }
            (path, name, download) = (nil, n, try r.bool("download", default: false))
        }
        force = try r.bool("force", default: false)
    }
}

/// `initialize` params (§3, §10): LSP's fields, of which `clientInfo.name` labels the client's
/// runs and the others are accepted as sent and not used, and `model`, loaded before the result
/// is sent. (`workDoneToken` is taken off by the session before these are read.)
public struct InitializeParams: MethodParams, Equatable {
    public struct ClientInfo: Codable, Equatable, Sendable {
        public var name: String?
        public var version: String?
    }

    public var clientInfo: ClientInfo?
    /// A model to load now, as `model/load` takes it.
    public var model: ModelLoadParams?
    /// LSP fields, accepted and ignored (any JSON).
    public var processId: JSONValue?
    public var rootUri: JSONValue?
    public var rootPath: JSONValue?
    public var capabilities: JSONValue?
    public var initializationOptions: JSONValue?
    public var trace: JSONValue?
    public var locale: JSONValue?
    public var workspaceFolders: JSONValue?

    public init(reading r: ParamReader) throws {
        if let info = try r.optionalObject("clientInfo") {
            clientInfo = ClientInfo(name: try info.optionalString("name"), version: try info.optionalString("version"))
        } else {
            clientInfo = nil
        }
        model = try r.optionalObject("model").map { try ModelLoadParams(reading: $0) }
        processId = r.raw("processId")
        rootUri = r.raw("rootUri")
        rootPath = r.raw("rootPath")
        capabilities = r.raw("capabilities")
        initializationOptions = r.raw("initializationOptions")
        trace = r.raw("trace")
        locale = r.raw("locale")
        workspaceFolders = r.raw("workspaceFolders")
    }
}

/// `tokenize` params.
public struct TokenizeParams: MethodParams, Equatable {
    /// May be empty.
    public var text: String

    public init(reading r: ParamReader) throws {
        text = try r.string("text")
    }
}

/// The run id of `runs/get` and `runs/delete` (lowercased).
public struct RunIDParams: MethodParams, Equatable {
    public var id: String

    public init(reading r: ParamReader) throws {
        let id = try r.string("id")
        guard UUID(uuidString: id) != nil else { throw r.invalid("id", accepted: "a run id (a UUID)") }
        self.id = id.lowercased()
    }
}

/// The methods whose runs are stored (the `method` filter of `runs/list`).
public let storedMethods = ["forward", "profileAttention", "pruneSweep", "perPositionKL", "evaluateCorpus", "calibrate"]

/// The statuses of a run.
public let runStatuses = ["running", "completed", "failed", "cancelled", "interrupted"]

/// `runs/list` params.
public struct RunsListParams: MethodParams, Equatable {
    public var method: String?
    public var status: String?
    /// A model fingerprint.
    public var model: String?
    /// RFC 3339: runs created at or after it.
    public var since: String?
    public var limit: Int
    /// A run id (lowercased): only runs created before it.
    public var before: String?

    public static let defaultLimit = 50
    public static let limitRange = 1...1000

    public init(reading r: ParamReader) throws {
        method = try r.optionalString("method", oneOf: storedMethods)
        status = try r.optionalString("status", oneOf: runStatuses)
        model = try r.optionalString("model")
        since = try r.date("since")
        limit = try r.int("limit", default: Self.defaultLimit, range: Self.limitRange)
        before = try r.optionalString("before")?.lowercased()
    }
}

/// `runs/prune` params: at least one of `olderThan` and `keep`.
public struct RunsPruneParams: MethodParams, Equatable {
    /// RFC 3339: delete runs created before it.
    public var olderThan: String?
    /// Keep the newest `keep` runs.
    public var keep: Int?

    public init(reading r: ParamReader) throws {
        olderThan = try r.date("olderThan")
        keep = try r.optionalInt("keep", range: 0...Int.max)
        if olderThan == nil && keep == nil {
            throw r.invalid("olderThan", accepted: "at least one of olderThan (RFC 3339) and keep (≥ 0)")
        }
    }
}

/// `runs/report` params.
public struct RunsReportParams: MethodParams, Equatable {
    /// 1…64 run ids, lowercased.
    public var ids: [String]
    public var title: String?
    public var format: ReportFormat

    public enum ReportFormat: String, Codable, CaseIterable, Sendable { case html, svg }

    public static let idCount = 1...64

    public init(reading r: ParamReader) throws {
        guard let raw = r.raw("ids")?.arrayValue, Self.idCount.contains(raw.count) else {
            throw r.invalid("ids", accepted: "an array of 1 to 64 run ids")
        }
        ids = try raw.enumerated().map { i, v in
            guard let s = v.stringValue, UUID(uuidString: s) != nil else {
                throw RPCError.invalidParams(field: "ids[\(i)]", value: v, accepted: "a run id (a UUID)")
            }
            return s.lowercased()
        }
        title = try r.optionalString("title")
        let name = try r.string("format", oneOf: ReportFormat.allCases.map(\.rawValue), default: ReportFormat.html.rawValue)
        format = ReportFormat(rawValue: name) ?? .html
    }
}

extension ParamReader {
    /// An RFC 3339 date-time, kept as the text given (validated).
    func date(_ field: String) throws -> String? {
        guard let s = try optionalString(field) else { return nil }
        guard RFC3339.date(s) != nil else {
            throw invalid(field, accepted: "an RFC 3339 date-time such as 2026-01-02T03:04:05Z")
        }
        return s
    }
}

/// RFC 3339 UTC timestamps with milliseconds, as the protocol writes them.
public enum RFC3339 {
    private static let formatter: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f
    }()
    private static let plain: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f
    }()
    private static let lock = NSLock()

    public static func string(_ date: Date) -> String { lock.withLock { formatter.string(from: date) } }
    public static func date(_ s: String) -> Date? { lock.withLock { formatter.date(from: s) ?? plain.date(from: s) } }
}
