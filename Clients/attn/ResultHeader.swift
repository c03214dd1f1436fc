import AttnProtocol
import JSONRPC

extension JSONValue {
    /// Decodes a daemon result into its protocol type (`AttnProtocol`).
    /// - Throws: `CLIFailure.failed` naming the method when the result does not have its shape.
    func decoded<T: Decodable>(_ type: T.Type, method: String) throws -> T {
        do {
            return try decode(type)
        } catch {
            throw CLIFailure.failed("the daemon's \(method) result does not match the protocol (\(error)); is attnd the same version as attn?")
        }
    }
}

/// The line above every analysis: method, tokens, model, run id, cached/history state.
enum ResultHeader {
    /// The parts joined by ` · `, broken into lines of at most `width` columns when given.
    static func line(method: String, fields: AnalysisFields, width: Int? = nil) -> String {
        var parts = [method, "\(fields.numTokens) tokens", "model \(fields.model.prefix(12))", "run \(fields.runId)"]
        if fields.cached { parts.append("cached (--force recomputes)") }
        if !fields.history.stored { parts.append("not stored: \(fields.history.reason ?? "history unavailable")") }
        guard let width else { return parts.joined(separator: " · ") }
        var lines: [String] = []
        for part in parts {
            if let last = lines.last, last.count + 3 + part.count <= width {
                lines[lines.count - 1] = last + " · " + part
            } else {
                lines.append(part)
            }
        }
        return lines.joined(separator: "\n")
    }
}
