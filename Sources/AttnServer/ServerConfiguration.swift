/// Everything the daemon is started with (the `attnd` flags), passed to the server and to
/// `registerAnalysisMethods`.
public struct ServerConfiguration: Sendable, Equatable {
    /// `--model`: a model folder or a HuggingFace cache name, loaded at start when set.
    public var model: String?
    /// `--db`: the run-history SQLite file; nil means the default location.
    public var databasePath: String?
    /// False with `--no-history`: runs are not stored.
    public var historyEnabled: Bool
    /// `--max-queue`: compute requests that may wait behind the running one.
    public var maxQueue: Int
    /// `--max-message-bytes`: the largest accepted message body, in bytes.
    public var maxMessageBytes: Int
    /// `--cache-budget-bytes`: memory budget of the dense-pass cache, in bytes.
    public var cacheBudgetBytes: Int
    /// `--max-output-queue-bytes`: response bytes one client may leave unread before it is
    /// disconnected (its work cancelled); one frame larger than this is still sent when nothing
    /// else is queued.
    public var maxOutputQueueBytes: Int
    /// `--download-stall-seconds`: a model download that brings fewer than 1 KiB in this many
    /// seconds is ended (-32008, reason `stalled`).
    public var downloadStallSeconds: Double
    /// Sent as `serverInfo.version`.
    public var serverVersion: String

    public static let defaultMaxQueue = 64
    public static let defaultMaxMessageBytes = 64 << 20
    public static let defaultCacheBudgetBytes = 1 << 30
    public static let defaultMaxOutputQueueBytes = 64 << 20
    public static let defaultDownloadStallSeconds = 30.0
    public static let protocolVersion = "1.0"
    public static let serverName = "attnd"

    public init(model: String? = nil, databasePath: String? = nil, historyEnabled: Bool = true,
                maxQueue: Int = ServerConfiguration.defaultMaxQueue,
                maxMessageBytes: Int = ServerConfiguration.defaultMaxMessageBytes,
                cacheBudgetBytes: Int = ServerConfiguration.defaultCacheBudgetBytes,
                maxOutputQueueBytes: Int = ServerConfiguration.defaultMaxOutputQueueBytes,
                downloadStallSeconds: Double = ServerConfiguration.defaultDownloadStallSeconds,
                serverVersion: String = "0.1.0") {
        self.model = model
        self.databasePath = databasePath
        self.historyEnabled = historyEnabled
        self.maxQueue = maxQueue
        self.maxMessageBytes = maxMessageBytes
        self.cacheBudgetBytes = cacheBudgetBytes
        self.maxOutputQueueBytes = maxOutputQueueBytes
        self.downloadStallSeconds = downloadStallSeconds
        self.serverVersion = serverVersion
    }
}
