import AttnProtocol

/// The `attn eval` and `attn runs show` table of a corpus run: one row for dense, one per setting
/// (computed fraction of attention, perplexity, ΔNLL ± its 95% interval half-width, output KL,
/// top-1 agreement), then the optional per-window table.
enum CorpusRenderer {
    static func render(_ response: AnalysisResult<EvaluateCorpusResult>, terminal: Terminal) -> String {
        let r = response.body
        var lines = [ResultHeader.line(method: "evaluateCorpus", fields: response.fields, width: terminal.tableWidth),
                     "windows \(r.windows) (maxLength \(r.maxLength), stride \(r.stride); \(r.windowsReused) reused from the history), "
                        + "tokens scored \(r.tokensScored) (predictions \(r.predictionsScored))", ""]
        var table = TextTable(headers: ["setting", "computed", "perplexity", "NLL", "ΔNLL", "± 95%", "output KL", "top-1"])
        table.append(["dense", "1", Format.number(r.dense.perplexity), Format.number(r.dense.nll), "", "", "", ""])
        for s in r.settings {
            let half = s.deltaNLL.upper.map { $0 - s.deltaNLL.mean }
            table.append([name(s.setting), Format.number(1 - s.prunedBlockFraction), Format.number(s.perplexity),
                          Format.number(s.nll), Format.number(s.deltaNLL.mean),
                          half.map { Format.number($0) } ?? "n/a", Format.number(s.outputKL), Format.number(s.top1Agreement)])
        }
        lines.append(table.render(width: terminal.tableWidth))
        if let windows = r.perWindow {
            var perWindow = TextTable(headers: ["window", "tokens", "scored", "weight", "dense NLL"] + r.settings.indices.map { "NLL \($0 + 1)" })
            for w in windows {
                perWindow.append(["\(w.index)", "\(w.begin)–\(w.end)", "\(w.predictions)", "\(w.weight)", Format.number(w.denseNLL)]
                    + w.settings.map { Format.number($0.nll) })
            }
            lines += ["", perWindow.render(width: terminal.tableWidth)]
        }
        return lines.joined(separator: "\n")
    }

    /// `threshold 0.002 B32 sink local`.
    static func name(_ s: PruningSetting) -> String {
        if let table = s.perHead?.table {
            let dense = table.values.joined().filter { $0 == nil }.count
            return "per-head \(table.estimator.rawValue) \(table.selection.rawValue) B\(table.queryBlockSize)x\(table.blockSize)"
                + (dense > 0 ? " (\(dense) dense)" : "")
        }
        let value = s.selection == .topK ? "\(Int(s.threshold))" : "\(s.threshold)"
        return "\(s.selection.rawValue) \(value) B\(s.blockSize)" + (s.keepSink ? " sink" : "") + (s.keepLocal ? " local" : "")
    }
}
