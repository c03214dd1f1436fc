import AttnProtocol
import ArgumentParser
import Foundation
import JSONRPC

/// `--csv`: the command's main table as RFC 4180 CSV — a header row, then one row per sweep
/// point, head, position or token, with the daemon's numbers unformatted (fractions as
/// fractions, nats as nats).
struct CSVOption: ParsableArguments {
    @Flag(help: "Print the main table as CSV (header row, raw numbers) instead of tables; not with --json.")
    var csv = false
}

enum CSV {
    static func render(_ headers: [String], _ rows: [[String]]) -> String {
        ([headers] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n")
    }

    /// A field, quoted when it holds a comma, quote, CR or LF (quotes doubled).
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }

    static func sweep(_ response: PruneSweepResponse, fallback: DenseFallback?) -> String {
        let points = RunsRenderer.points(response.body)
        // Tile points (§11) add their columns; a per-row sweep's CSV is unchanged.
        let tiles = points.contains { $0.computedFraction != nil }
        let headers = ["selection", "blockSize", "threshold", "prunedBlockFraction", "seedPrunedFraction", "prunedMass",
                       "attentionKL", "seedKL", "fullyPrunedRows", "denseFallbackShare",
                       "outputKL", "top1Agreement", "nllFull", "nllPruned", "perplexityFull", "perplexityPruned"]
            + (tiles ? ["tileDensity", "computedFraction", "recall", "recallP5", "estimatorMultiplyAdds"] : [])
        return render(headers, points.map { p in
            [p.selection.rawValue, String(p.blockSize), number(p.threshold), number(p.prunedBlockFraction),
             number(p.seedPrunedFraction), number(p.prunedMass), number(p.attentionKL), number(p.seedKL),
             String(p.fullyPrunedRows), number(fallback?.share(p)),
             number(p.endToEnd?.outputKL), number(p.endToEnd?.top1Agreement), number(p.endToEnd?.nllFull),
             number(p.endToEnd?.nllPruned), number(p.endToEnd?.perplexityFull), number(p.endToEnd?.perplexityPruned)]
                + (tiles ? [number(p.tileDensity), number(p.computedFraction), number(p.recall), number(p.recallP5),
                            p.estimatorMultiplyAdds.map(String.init) ?? ""] : [])
        })
    }

    static func profile(_ response: ProfileAttentionResponse) -> String {
        let rows = ProfileRenderer.rows(response.body)
        let thresholds = ProfileRenderer.thresholds(response.body)
        let roles = RolesRenderer.rows(response.body)    // empty for a run stored before head roles
        let headers = ["layer", "head", "entrySparsity", "entropy", "sinkMass", "localMass", "coverageP95"]
            + thresholds.map { "blockFraction@\($0)" }
            + ["role", "sinkScore", "localScore", "previousTokenScore", "duplicateTokenScore", "inductionScore", "streamingMass",
               "streamingHead"]
        return render(headers, rows.enumerated().map { i, r in
            // Head rows come first, in the order of `roles`; the summary row has no role.
            let role = roles[safe: i].map { h in
                [h.role.rawValue, number(h.sink), number(h.local), number(h.previousToken), number(h.duplicateToken),
                 number(h.induction), number(h.streamingMass), String(h.streamingHead)]
            } ?? Array(repeating: "", count: 8)
            return [r.layer, r.head, number(r.entrySparsity), number(r.entropy), number(r.sinkMass), number(r.localMass),
                    number(r.coverage95)] + r.blockFractions.map { number($0) } + role
        })
    }

    static func perPosition(_ response: PerPositionKLResponse, pieces: [String]?) -> String {
        var rows: [[String]] = []
        for layer in response.body.layers {
            for (position, value) in layer.values.enumerated() {
                rows.append([String(layer.layer), String(position), pieces?[safe: position] ?? "", number(value)])
            }
        }
        return render(["layer", "position", "piece", response.body.metric.rawValue], rows)
    }

    static func forward(_ response: ForwardResponse, pieces: [String]?) -> String {
        var rows: [[String]] = []
        for (position, candidates) in response.body.top.enumerated() {
            for (rank, c) in candidates.enumerated() {
                rows.append([String(position), pieces?[safe: position] ?? "", String(rank + 1), String(c.token), c.piece,
                             number(c.logprob), number(exp(c.logprob))])
            }
        }
        return render(["position", "piece", "rank", "nextToken", "nextPiece", "logprob", "probability"], rows)
    }

    static func tokenize(_ result: TokenizeResult) -> String {
        render(["index", "token", "piece", "start", "end"], result.tokens.enumerated().map { index, token in
            let range = result.offsets[safe: index] ?? []
            return [String(index), String(token), result.pieces[safe: index] ?? "",
                    range.first.map(String.init) ?? "", range.last.map(String.init) ?? ""]
        })
    }

    static func runs(_ result: RunsListResult) -> String {
        render(["id", "method", "status", "createdAt", "finishedAt", "durationMs", "model", "modelName", "numTokens", "clientName", "summary"],
               result.runs.map { r in
                   [r.id, r.method, r.status, r.createdAt, r.finishedAt ?? "", r.durationMs.map(String.init) ?? "", r.model,
                    r.modelName ?? "", r.numTokens.map(String.init) ?? "", r.clientName ?? "", JSONWriter.string(r.summary)]
               })
    }
}
