import AttnProtocol
import Foundation
import JSONRPC

/// Run ids as the user types them: a full UUID, or (as git takes commit prefixes) any prefix of
/// one that names a single run in the history.
enum RunIDs {
    static func isFull(_ text: String) -> Bool { UUID(uuidString: text) != nil }

    /// The full id of the one run whose id starts with `given` (case-insensitive).
    /// - Throws: `CLIFailure.usage` when no run or several runs match.
    static func resolve(_ given: String, session: DaemonSession) throws -> String {
        let prefix = given.lowercased()
        if isFull(prefix) { return prefix }
        guard !prefix.isEmpty, prefix.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw CLIFailure.usage("\(given) is not a run id: give the id `attn runs list` shows, or a prefix of it")
        }
        var matches: [String] = []
        var before: String?
        repeat {
            var params: [String: JSONValue] = ["limit": .int(Int64(RunsListParams.limitRange.upperBound))]
            if let before { params["before"] = .string(before) }
            let page = try session.call("runs/list", params: params).decoded(RunsListResult.self, method: "runs/list")
            matches += page.runs.map(\.id).filter { $0.hasPrefix(prefix) }
            before = page.next
        } while before != nil && matches.count < 2
        switch matches.count {
        case 1: return matches[0]
        case 0: throw CLIFailure.usage("no run id starts with \(given) (see `attn runs list`)")
        default:
            throw CLIFailure.usage("run id prefix \(given) is ambiguous: it starts \(matches.prefix(3).joined(separator: ", ")); give more characters")
        }
    }
}
