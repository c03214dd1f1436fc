import ArgumentParser
import AttnProtocol
import JSONRPC

/// The tile options `sweep` and `kl` share (Protocol/README.md §10, §11 tiles): who chooses
/// the (Bq queries × B keys) tiles and each estimator's own knob. Without them the daemon's
/// defaults apply (Bq 1 with the oracle: the per-row rule).
struct TileOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Queries per tile Bq, 1…1024 (daemon default 1: the per-row rule).", valueName: "n"))
    var queryBlockSize: Int?

    @Option(help: ArgumentHelp("Who chooses the tiles: oracle, meanPool, antidiagonal, lastQueries, quest or streaming (daemon default oracle).", valueName: "name"))
    var estimator: Estimator?

    @Option(parsing: .unconditional, help: ArgumentHelp("antidiagonal's stride, 1…1024, dividing Bq and every block size (daemon default 8).", valueName: "n"))
    var stride: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("lastQueries' number of queries, 1…4096 (daemon default 64).", valueName: "n"))
    var lastQueries: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("streaming's sink in tokens, 0…4096 (daemon default 4).", valueName: "n"))
    var sinkTokens: Int?

    /// The per-row rule of today (no tile option, or Bq 1 with the oracle).
    var perRow: Bool { (queryBlockSize ?? 1) == 1 && (estimator ?? .oracle) == .oracle }

    /// Refuses an estimator's knob without that estimator, and `window` without streaming.
    func check(selection: Selection?) throws {
        let only: [(String, Bool, Estimator)] = [("--stride", stride != nil, .antidiagonal), ("--last-queries", lastQueries != nil, .lastQueries),
                                                 ("--sink-tokens", sinkTokens != nil, .streaming)]
        for (option, given, owner) in only where given && estimator != owner {
            throw ValidationError("\(option) applies to --estimator \(owner.rawValue); give --estimator \(owner.rawValue) or leave it out")
        }
        if selection == .window && estimator != .streaming {
            throw ValidationError("--selection window is the rule of --estimator streaming; give --estimator streaming or another --selection")
        }
    }

    /// The tile params, as given.
    func params() -> [String: JSONValue] {
        var params: [String: JSONValue] = [:]
        if let queryBlockSize { params["queryBlockSize"] = .int(Int64(queryBlockSize)) }
        if let estimator { params["estimator"] = .string(estimator.rawValue) }
        if let stride { params["stride"] = .int(Int64(stride)) }
        if let lastQueries { params["lastQueries"] = .int(Int64(lastQueries)) }
        if let sinkTokens { params["sinkTokens"] = .int(Int64(sinkTokens)) }
        return params
    }
}
