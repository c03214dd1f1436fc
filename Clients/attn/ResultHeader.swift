import JSONRPC

extension JSONValue {
    /// A metric number, or the `mean` of a Stat (`texts` aggregates); nil for null/absent.
    var metric: Double? { doubleValue ?? self["mean"]?.doubleValue }

    /// Array members, `[]` when absent.
    var list: [JSONValue] { arrayValue ?? [] }
}

/// The line above every analysis: method, tokens, model, run id, cached/history state.
enum ResultHeader {
    static func line(method: String, result: JSONValue) -> String {
        var parts = [method]
        if let tokens = result["numTokens"]?.intValue { parts.append("\(tokens) tokens") }
        if let model = result["model"]?.stringValue { parts.append("model \(model.prefix(12))") }
        if let run = result["runId"]?.stringValue { parts.append("run \(run)") }
        if result["cached"]?.boolValue == true { parts.append("cached (use --force to recompute)") }
        if result["history"]?["stored"]?.boolValue == false {
            parts.append("not stored: \(result["history"]?["reason"]?.stringValue ?? "history unavailable")")
        }
        return parts.joined(separator: " · ")
    }
}
