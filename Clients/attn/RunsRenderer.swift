import AttnProtocol
import JSONRPC

/// Tables for `runs/list`, `runs/get` and the side-by-side diff of two sweeps.
enum RunsRenderer {
    /// Run ids are cut to fit (`2cae28fe…`; any unique prefix names a run), then the summary.
    static func list(_ result: RunsListResult, terminal: Terminal) -> String {
        var table = TextTable(headers: ["id", "method", "status", "created (UTC)", "duration", "model", "tokens", "summary"],
                              leftAligned: [0, 1, 2, 3, 5, 7], elidable: [0: 9, 5: 8, 7: 16])
        for run in result.runs {
            table.append([
                run.id, run.method, run.status, shortDate(run.createdAt), duration(run.durationMs.map(Double.init)),
                run.modelName ?? String(run.model.prefix(12)),
                run.numTokens.map(String.init) ?? "—", digest(run),
            ])
        }
        var text = result.runs.isEmpty ? "no runs" : table.render(width: terminal.tableWidth)
        if let next = result.next { text += "\nmore: attn runs list --before \(next)" }
        return text
    }

    /// `2026-12-07T05:30:02.123Z` as `2026-12-07 05:30:02`.
    static func shortDate(_ rfc3339: String) -> String {
        let parts = rfc3339.split(separator: "T", maxSplits: 1)
        guard parts.count == 2 else { return rfc3339 }
        return "\(parts[0]) \(parts[1].prefix(8))"
    }

    static func duration(_ milliseconds: Double?) -> String {
        guard let milliseconds else { return "—" }
        return milliseconds < 1000 ? Format.number(milliseconds) + " ms" : Format.number(milliseconds / 1000) + " s"
    }

    /// A completed run's digest (`summary`), decoded into the method's digest type.
    static func digest(_ run: RunSummary) -> String {
        let n = { (value: Double) in Format.number(value) }
        switch run.method {
        case "forward":
            if let d = try? run.summary.decode(ForwardDigest.self) { return "nll=\(Format.nll(d.nll))" }
        case "profileAttention":
            if let d = try? run.summary.decode(ProfileDigest.self) {
                return "entrySparsity=\(n(d.entrySparsity)) sinkMass=\(n(d.sinkMass)) entropy=\(n(d.entropy))"
            }
        case "pruneSweep":
            if let d = try? run.summary.decode(SweepDigest.self) {
                return "\(d.selection.rawValue) points=\(d.points) maxPrunedBlockFraction=\(n(d.maxPrunedBlockFraction)) "
                    + "minAttentionKL=\(n(d.minAttentionKL))"
            }
        case "perPositionKL":
            if let d = try? run.summary.decode(PerPositionDigest.self) { return "\(d.metric.rawValue) mean=\(n(d.mean))" }
        case "calibrate":
            // The digest of §8: {metric, budget, computedFraction, denseHeads, outputKL}.
            let d = run.summary
            if let metric = d["metric"]?.stringValue, let budget = d["budget"]?.doubleValue,
               let computed = d["computedFraction"]?.doubleValue, let dense = d["denseHeads"]?.intValue {
                return "\(metric)\(metric == "recall" ? "≥" : "≤")\(n(budget)) computed=\(Format.percent(computed)) denseHeads=\(dense)"
                    + (d["outputKL"]?.doubleValue.map { " outputKL=\(n($0))" } ?? "")
            }
        case "evaluateCorpus":
            if let d = try? run.summary.decode(CorpusDigest.self) {
                return "windows=\(d.windows) tokensScored=\(d.tokensScored) perplexity=\(n(d.perplexity)) settings=\(d.settings)"
            }
        default:
            break
        }
        return summary(run.summary)   // `{}` while running, or a method this attn does not know
    }

    /// `key=value` pairs of a run's digest (`summary`, its members differ per method), keys sorted.
    static func summary(_ value: JSONValue) -> String {
        guard let members = value.objectValue else { return "" }
        return members.keys.sorted().map { key in
            let member = members[key] ?? .null
            let shown = member.stringValue ?? (member.intValue.map(String.init) ?? (member.doubleValue.map { Format.number($0) } ?? JSONWriter.string(member)))
            return "\(key)=\(shown)"
        }.joined(separator: " ")
    }

    /// A stored run: its record, its params, then its result drawn as the method's table.
    static func show(_ run: Run, model: (layers: Int, heads: Int)?, terminal: Terminal) throws -> String {
        let s = run.summary
        var table = TextTable(headers: ["field", "value"], leftAligned: [0, 1], elidable: [1: 24])
        let rows: [(String, String?)] = [
            ("id", s.id), ("method", s.method), ("status", s.status), ("createdAt", s.createdAt), ("finishedAt", s.finishedAt),
            ("durationMs", s.durationMs.map { duration(Double($0)) }), ("model", s.model), ("modelName", s.modelName),
            ("numTokens", s.numTokens.map(String.init)), ("clientName", s.clientName),
        ]
        for case let (field, value?) in rows { table.append([field, value]) }
        // Params one per row, long values (the whole text) cut to the width with their length.
        for (key, value) in (run.params.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            var shown = value.stringValue ?? JSONWriter.string(value)
            shown = shown.replacingOccurrences(of: "\n", with: "⏎").replacingOccurrences(of: "\t", with: "⇥")
            if let width = terminal.tableWidth, shown.count > width - 20 {
                let note = " (\(shown.count) characters)"
                shown = TextTable.cut(shown, to: max(12, width - 20 - note.count)) + note
            }
            table.append(["params.\(key)", shown])
        }
        var sections = [table.render(width: terminal.tableWidth)]
        if let error = run.error {
            sections.append(ErrorLine.format(RPCError(RPCErrorCode(rawValue: error.code), error.message, data: error.data)))
        }
        if let result = run.result {
            sections.append("")
            switch s.method {
            case "pruneSweep":
                sections.append(SweepRenderer.render(try result.decoded(PruneSweepResponse.self, method: s.method), model: model, terminal: terminal))
            case "profileAttention":
                sections.append(ProfileRenderer.render(try result.decoded(ProfileAttentionResponse.self, method: s.method), terminal: terminal))
            case "calibrate":
                sections.append(CalibrateRenderer.render(try result.decoded(CalibrateResponse.self, method: s.method), terminal: terminal))
            case "perPositionKL":
                sections.append(KLRenderer.render(try result.decoded(PerPositionKLResponse.self, method: s.method), pieces: nil, terminal: terminal))
            case "evaluateCorpus":
                sections.append(CorpusRenderer.render(try result.decoded(AnalysisResult<EvaluateCorpusResult>.self, method: s.method),
                                                      terminal: terminal))
            case "forward":
                let tokens = run.params["tokens"]?.arrayValue?.compactMap(\.intValue)
                sections.append(SmallRenderers.forward(try result.decoded(ForwardResponse.self, method: s.method),
                                                       tokens: tokens, pieces: nil, terminal: terminal))
            default: sections.append(JSONWriter.string(result))
            }
        }
        return sections.joined(separator: "\n")
    }

    /// Why two runs' numbers may not compare: different models or different inputs.
    static func comparability(_ a: Run, _ b: Run) -> [String] {
        var warnings: [String] = []
        if a.summary.model != b.summary.model {
            warnings.append("A and B ran on different models (\(a.summary.modelName ?? String(a.summary.model.prefix(12))) vs "
                + "\(b.summary.modelName ?? String(b.summary.model.prefix(12)))): the differences mix the model with the pruning")
        }
        let input: (Run) -> JSONValue? = { run in run.params["text"] ?? run.params["tokens"] ?? run.params["texts"] }
        if input(a) != input(b) {
            warnings.append("A and B analysed different inputs (\(a.summary.numTokens.map(String.init) ?? "?") vs "
                + "\(b.summary.numTokens.map(String.init) ?? "?") tokens): the differences mix the text with the pruning")
        }
        return warnings
    }

    /// The points of a sweep: `points`, or the means of `aggregate.points` for `texts`.
    static func points(_ result: PruneSweepResult) -> [SweepPoint] {
        result.points ?? result.aggregate?.points.map(\.means) ?? []
    }

    /// Two sweeps side by side: points matched by (selection, blockSize, threshold), in A's
    /// order then B's extra points; `Δ` = B − A.
    static func diff(idA: String, a: PruneSweepResponse, idB: String, b: PruneSweepResponse, terminal: Terminal) -> String {
        let pointsA = points(a.body), pointsB = points(b.body)
        var byKeyA: [PointKey: SweepPoint] = [:]
        for point in pointsA { byKeyA[PointKey(point)] = point }
        var byKeyB: [PointKey: SweepPoint] = [:]
        for point in pointsB { byKeyB[PointKey(point)] = point }
        var order = pointsA.map(PointKey.init)
        for point in pointsB where !order.contains(PointKey(point)) { order.append(PointKey(point)) }

        var table = TextTable(headers: ["selection", "block", "value", "KL A", "KL B", "Δ KL", "pruned A", "pruned B", "Δ pruned"],
                              leftAligned: [0], keyColumns: 3)
        for key in order {
            let klA = byKeyA[key]?.attentionKL, klB = byKeyB[key]?.attentionKL
            let prunedA = byKeyA[key]?.prunedBlockFraction, prunedB = byKeyB[key]?.prunedBlockFraction
            table.append([
                key.selection.rawValue, String(key.blockSize), key.threshold,
                Format.nats(klA), Format.nats(klB), signed(klA, klB, format: Format.nats),
                Format.percent(prunedA), Format.percent(prunedB), signed(prunedA, prunedB, format: Format.points),
            ])
        }
        return ["A = \(idA) (\(a.fields.numTokens) tokens, model \(a.fields.model.prefix(12)))",
                "B = \(idB) (\(b.fields.numTokens) tokens, model \(b.fields.model.prefix(12)))",
                "attentionKL in nats; pruned = prunedBlockFraction; Δ = B − A (pp: percentage points)", "", table.render(width: terminal.tableWidth)].joined(separator: "\n")
    }

    private static func signed(_ a: Double?, _ b: Double?, format: (Double?) -> String) -> String {
        guard let a, let b else { return "—" }
        let delta = b - a
        let text = format(delta)
        return delta > 0 ? "+" + text : text
    }
}
