import Foundation
import JSONRPC

/// The short text an MCP `tools/call` result carries in `content` beside `structuredContent`:
/// one or two lines a person (or an agent skimming) can read; the numbers in full are in the
/// structured result. Reads fields defensively: a field that is absent is left out.
enum MCPResultSummary {
    static func text(method: String, result: JSONValue) -> String {
        var parts: [String] = []
        if let runID = result["runId"], runID != .null { parts.append("run \(JSONWriter.string(runID))") }
        if let tokens = result["numTokens"]?.intValue { parts.append("\(tokens) tokens") }
        if result["cached"]?.boolValue == true { parts.append("dense pass from cache") }
        switch method {
        case "tokenize":
            let pieces = result["pieces"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let shown = pieces.prefix(16).map { JSONWriter.string(.string($0)) }.joined(separator: " ")
            parts.append("\(pieces.count) tokens: \(shown)\(pieces.count > 16 ? " …" : "")")
        case "forward":
            if let perplexity = result["perplexity"]?.doubleValue { parts.append("perplexity \(number(perplexity))") }
            if let nll = result["nll"]?.doubleValue { parts.append("mean NLL \(number(nll)) nats") }
        case "profileAttention":
            if let layers = result["layers"]?.arrayValue { parts.append("\(layers.count) layers") }
            if let summary = result["summary"] {
                for key in ["entrySparsity", "entropy", "sinkMass", "localMass"] {
                    if let value = summary[key]?.doubleValue { parts.append("\(key) \(number(value))") }
                }
            }
            if let texts = result["texts"]?.arrayValue { parts.append("\(texts.count) texts aggregated") }
        case "pruneSweep":
            if let points = result["points"]?.arrayValue { parts.append("\(points.count) sweep points") }
            if let texts = result["texts"]?.arrayValue { parts.append("\(texts.count) texts aggregated") }
            if let recommendation = result["recommendation"], let reason = recommendation["reason"]?.stringValue {
                parts.append("recommendation: \(reason)")
            }
        case "perPositionKL":
            if let metric = result["metric"]?.stringValue { parts.append("metric \(metric)") }
            if let layers = result["layers"]?.arrayValue { parts.append("\(layers.count) layers") }
        case "evaluateCorpus":
            if let windows = result["windows"]?.intValue { parts.append("\(windows) windows") }
            if let perplexity = result["dense"]?["perplexity"]?.doubleValue { parts.append("dense perplexity \(number(perplexity))") }
            if let settings = result["settings"]?.arrayValue {
                for s in settings.prefix(4) {
                    if let p = s["perplexity"]?.doubleValue { parts.append("setting perplexity \(number(p))") }
                }
            }
        case "calibrate":
            if let fraction = result["computedFraction"]?.doubleValue { parts.append("computed fraction \(number(fraction))") }
            if let dense = result["denseHeads"]?.intValue { parts.append("\(dense) dense heads") }
            if let kl = result["check"]?["outputKL"]?.doubleValue { parts.append("check outputKL \(number(kl))") }
            if let reason = result["reason"]?.stringValue { parts.append(reason) }
        case "model/load", "model/info":
            if let name = result["name"]?.stringValue { parts.append("model \(name)") }
            if let layers = result["nLayer"]?.intValue, let heads = result["nHead"]?.intValue {
                parts.append("\(layers) layers × \(heads) heads")
            }
            if let count = result["parameterCount"]?.intValue { parts.append("\(count) parameters") }
        case "runs/list":
            if let runs = result["runs"]?.arrayValue {
                parts.append("\(runs.count) runs")
                let ids = runs.prefix(10).compactMap { run -> String? in
                    guard let id = run["id"], let method = run["method"]?.stringValue else { return nil }
                    return "\(JSONWriter.string(id)) \(method)"
                }
                if !ids.isEmpty { parts.append(ids.joined(separator: "; ")) }
            }
            if let next = result["next"], next != .null { parts.append("more after cursor \(JSONWriter.string(next))") }
        case "runs/get":
            if let id = result["id"] { parts.append("run \(JSONWriter.string(id))") }
            for key in ["method", "status"] { if let value = result[key]?.stringValue { parts.append(value) } }
        case "runs/delete", "runs/prune":
            if let deleted = result["deleted"] { parts.append("deleted \(JSONWriter.string(deleted))") }
        case "runs/report":
            if let html = result["html"]?.stringValue { parts.append("HTML report of \(html.utf8.count) bytes") }
            if let figures = result["figures"]?.arrayValue { parts.append("\(figures.count) SVG figures") }
        default:
            break
        }
        let body = parts.isEmpty ? "done" : parts.joined(separator: ", ")
        return "\(method): \(body). The full result is in structuredContent."
    }

    /// The text of an error result: the daemon's message (which names the field), then its
    /// code and `data` (e.g. `{field, value, accepted}`) as JSON.
    static func text(method: String, error: RPCError) -> String {
        var text = "\(method) failed: \(error.message) (error \(error.code.rawValue) \(error.code.name))"
        if let data = error.data { text += "\ndata: \(JSONWriter.string(data))" }
        return text
    }

    private static func number(_ value: Double) -> String {
        String(format: "%.4g", value)
    }
}
