import JSONRPC

/// A `perPositionKL` result as a layers × positions heatmap, with per-layer means and segments.
enum KLRenderer {
    static func render(_ result: JSONValue, pieces: [String]?, terminal: Terminal) -> String {
        let metric = result["metric"]?.stringValue ?? "attentionKL"
        let unit = metric == "prunedMass" ? "(fraction)" : "nats"
        let layers = result["layers"]?.list ?? []
        let rows: [[Double?]] = layers.map { $0["values"]?.list.map(\.doubleValue) ?? [] }
        let maximum = rows.flatMap { $0.compactMap { $0 } }.max() ?? 0
        let map = Heatmap(rowLabels: layers.map { "L\($0["layer"]?.intValue ?? 0)" }, rows: rows,
                          maximum: maximum, maxColumns: terminal.width - 10)
        var lines = [ResultHeader.line(method: "perPositionKL", result: result), "",
                     terminal.bold("\(metric) per position (mean over heads), layers × positions")]
        lines += map.render(terminal: terminal)
        lines.append(map.axis(count: rows.map(\.count).max() ?? 0))
        lines.append(maximum > 0 ? map.legend(unit: unit) : "every value is 0: nothing was pruned")

        var means = TextTable(headers: ["layer", "mean \(unit)", "max \(unit)", "at position"])
        for (layer, values) in zip(layers, rows) {
            let numbers = values.compactMap { $0 }
            let mean = numbers.isEmpty ? nil : numbers.reduce(0, +) / Double(numbers.count)
            let peak = numbers.indices.max { numbers[$0] < numbers[$1] }
            var at = peak.map(String.init) ?? "—"
            if let peak, let pieces, peak < pieces.count { at += " \(Format.piece(pieces[peak]))" }
            means.append([String(layer["layer"]?.intValue ?? 0), Format.nats(mean), Format.nats(peak.map { numbers[$0] }), at])
        }
        lines += ["", means.render()]

        let segmented = layers.filter { $0["segments"] != nil }
        if let first = segmented.first {
            let ranges = first["segments"]?.list.map { "\($0["start"]?.intValue ?? 0)–\($0["end"]?.intValue ?? 0)" } ?? []
            var segments = TextTable(headers: ["layer"] + ranges)
            for layer in segmented {
                segments.append([String(layer["layer"]?.intValue ?? 0)] + (layer["segments"]?.list ?? []).map { Format.nats($0["mean"]?.metric) })
            }
            lines += ["", "segment means (\(unit))", segments.render()]
        }
        return lines.joined(separator: "\n")
    }
}
