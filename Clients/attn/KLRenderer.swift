import AttnProtocol

/// A `perPositionKL` result as a layers × positions heatmap, with per-layer means and segments.
enum KLRenderer {
    static func render(_ response: PerPositionKLResponse, pieces: [String]?, terminal: Terminal) -> String {
        let result = response.body
        let metric = result.metric.rawValue
        let unit = result.metric == .prunedMass ? "(fraction)" : "nats"
        let rows: [[Double?]] = result.layers.map { $0.values }
        let maximum = result.layers.flatMap(\.values).max() ?? 0
        let map = Heatmap(rowLabels: result.layers.map { "L\($0.layer)" }, rows: rows,
                          maximum: maximum, maxColumns: terminal.width - 10)
        var lines = [ResultHeader.line(method: "perPositionKL", fields: response.fields, width: terminal.tableWidth), "",
                     terminal.title("\(metric) per position (mean over heads), layers × positions")]
        lines += map.render(terminal: terminal)
        lines.append(map.axis(count: rows.map(\.count).max() ?? 0))
        lines.append(maximum > 0 ? Prose.wrap(map.legend(unit: unit), width: terminal.tableWidth) : "every value is 0: nothing was pruned")

        var means = TextTable(headers: ["layer", "mean \(unit)", "max \(unit)", "at position"])
        for layer in result.layers {
            let numbers = layer.values
            let mean = numbers.isEmpty ? nil : numbers.reduce(0, +) / Double(numbers.count)
            let peak = numbers.indices.max { numbers[$0] < numbers[$1] }
            var at = peak.map(String.init) ?? "—"
            if let peak, let pieces, peak < pieces.count { at += " \(Format.piece(pieces[peak]))" }
            means.append([String(layer.layer), Format.nats(mean), Format.nats(peak.map { numbers[$0] }), at])
        }
        lines += ["", means.render(width: terminal.tableWidth)]

        let segmented = result.layers.filter { $0.segments != nil }
        if let first = segmented.first?.segments {
            var segments = TextTable(headers: ["layer"] + first.map { "\($0.start)–\($0.end)" })
            for layer in segmented {
                segments.append([String(layer.layer)] + (layer.segments ?? []).map { Format.nats($0.mean) })
            }
            lines += ["", "segment means (\(unit))", segments.render(width: terminal.tableWidth)]
        }
        return lines.joined(separator: "\n")
    }
}
