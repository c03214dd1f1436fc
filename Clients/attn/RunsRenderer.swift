import JSONRPC

/// Tables for `runs/list`, `runs/get` and the side-by-side diff of two sweeps.
enum RunsRenderer {
    static func list(_ result: JSONValue) -> String {
        let runs = result["runs"]?.list ?? []
        var table = TextTable(headers: ["id", "method", "status", "created", "duration", "tokens", "summary"],
                              leftAligned: [0, 1, 2, 3, 6])
        for run in runs {
            table.append([
                run["id"]?.stringValue ?? "", run["method"]?.stringValue ?? "", run["status"]?.stringValue ?? "",
                run["createdAt"]?.stringValue ?? "", duration(run["durationMs"]?.doubleValue),
                run["numTokens"]?.intValue.map(String.init) ?? "—", summary(run["summary"]),
            ])
        }
        var text = runs.isEmpty ? "no runs" : table.render()
        if let next = result["next"]?.stringValue { text += "\nmore: attn runs list --before \(next)" }
        return text
    }

    static func duration(_ milliseconds: Double?) -> String {
        guard let milliseconds else { return "—" }
        return milliseconds < 1000 ? Format.number(milliseconds) + " ms" : Format.number(milliseconds / 1000) + " s"
    }

    /// `key=value` pairs of a run summary, keys sorted.
    static func summary(_ value: JSONValue?) -> String {
        guard let members = value?.objectValue else { return "" }
        return members.keys.sorted().map { key in
            let member = members[key] ?? .null
            let shown = member.stringValue ?? (member.intValue.map(String.init) ?? (member.doubleValue.map { Format.number($0) } ?? JSONWriter.string(member)))
            return "\(key)=\(shown)"
        }.joined(separator: " ")
    }

    /// A stored run: its record, its params, then its result drawn as the method's table.
    static func show(_ run: JSONValue, terminal: Terminal) -> String {
        var table = TextTable(headers: ["field", "value"])
        for key in ["id", "method", "status", "createdAt", "finishedAt", "durationMs", "model", "modelName", "numTokens", "clientName"] {
            guard let value = run[key], value != .null else { continue }
            table.append([key, key == "durationMs" ? duration(value.doubleValue) : (value.stringValue ?? JSONWriter.string(value))])
        }
        var sections = [table.render()]
        if let params = run["params"] { sections.append("params: " + JSONWriter.string(params)) }
        if let error = run["error"], let rpcError = RPCError(json: error) {
            sections.append(ErrorLine.format(rpcError))
        }
        if let result = run["result"], result != .null {
            sections.append("")
            switch run["method"]?.stringValue {
            case "pruneSweep": sections.append(SweepRenderer.render(result, terminal: terminal))
            case "profileAttention": sections.append(ProfileRenderer.render(result, terminal: terminal))
            case "perPositionKL": sections.append(KLRenderer.render(result, pieces: nil, terminal: terminal))
            case "forward":
                let tokens = run["params"]?["tokens"]?.list.compactMap(\.intValue)
                sections.append(SmallRenderers.forward(result, tokens: tokens, pieces: nil, terminal: terminal))
            default: sections.append(JSONWriter.string(result))
            }
        }
        return sections.joined(separator: "\n")
    }

    /// Identifies a sweep point across runs.
    struct PointKey: Hashable {
        var selection: String
        var blockSize: Int
        var threshold: String
    }

    static func key(_ point: JSONValue) -> PointKey {
        PointKey(selection: point["selection"]?.stringValue ?? "threshold", blockSize: point["blockSize"]?.intValue ?? 0,
                 threshold: Format.ruleValue(point["threshold"]))
    }

    /// Two sweeps side by side: points matched by (selection, blockSize, threshold), in A's
    /// order then B's extra points; `Δ` = B − A.
    static func diff(idA: String, a: JSONValue, idB: String, b: JSONValue) -> String {
        let pointsA = a["points"]?.arrayValue ?? a["aggregate"]?["points"]?.list ?? []
        let pointsB = b["points"]?.arrayValue ?? b["aggregate"]?["points"]?.list ?? []
        var byKeyB: [PointKey: JSONValue] = [:]
        for point in pointsB { byKeyB[key(point)] = point }
        var order = pointsA.map(key)
        for point in pointsB where !order.contains(key(point)) { order.append(key(point)) }
        var byKeyA: [PointKey: JSONValue] = [:]
        for point in pointsA { byKeyA[key(point)] = point }

        var table = TextTable(headers: ["selection", "block", "value", "KL A", "KL B", "Δ KL", "pruned A", "pruned B", "Δ pruned"],
                              leftAligned: [0])
        for pointKey in order {
            let klA = byKeyA[pointKey]?["attentionKL"]?.metric
            let klB = byKeyB[pointKey]?["attentionKL"]?.metric
            let prunedA = byKeyA[pointKey]?["prunedBlockFraction"]?.metric
            let prunedB = byKeyB[pointKey]?["prunedBlockFraction"]?.metric
            table.append([
                pointKey.selection, String(pointKey.blockSize), pointKey.threshold,
                Format.nats(klA), Format.nats(klB), signed(klA, klB, format: Format.nats),
                Format.percent(prunedA), Format.percent(prunedB), signed(prunedA, prunedB, format: Format.percent),
            ])
        }
        return ["A = \(idA) (\(a["numTokens"]?.intValue ?? 0) tokens, model \(a["model"]?.stringValue?.prefix(12) ?? "?"))",
                "B = \(idB) (\(b["numTokens"]?.intValue ?? 0) tokens, model \(b["model"]?.stringValue?.prefix(12) ?? "?"))",
                "attentionKL in nats; pruned = prunedBlockFraction; Δ = B − A", "", table.render()].joined(separator: "\n")
    }

    private static func signed(_ a: Double?, _ b: Double?, format: (Double?) -> String) -> String {
        guard let a, let b else { return "—" }
        let delta = b - a
        let text = format(delta)
        return delta > 0 ? "+" + text : text
    }
}
