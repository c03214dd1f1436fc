import AttnProtocol
import Foundation
import JSONRPC

/// Renders stored runs (what `runs/get` returns) as one self-contained HTML page or as
/// standalone SVG figures. Pure functions of their input: no I/O, safe from any thread.
///
/// Draws `pruneSweep` runs (sparsity against divergence, overlaid across runs; recall and
/// attentionKL against computedFraction per tile size and estimator; per-layer bars; this tool
/// against the notebook), `perPositionKL` runs (layers × positions heatmap
/// with tokens), `profileAttention` runs (layers × heads heatmaps) and `evaluateCorpus` runs
/// (perplexity and ΔNLL against the computed fraction per setting, and a table). Other methods
/// get a short note. Missing optional fields are left out; unknown fields are ignored.
public enum RunReport {
    /// The report as one HTML document (UTF-8 text). Throws `ReportError` when `runs` is
    /// empty or an entry is not a stored run.
    public static func html(runs: [Run], options: ReportOptions = ReportOptions()) throws -> String {
        let (figures, overview) = try build(runs.map(StoredRun.init), options: options)
        return HTMLDocument.render(title: options.title ?? "SelectAttention report", runs: figures, overview: overview[0],
                                   tiles: overview[1])
    }

    /// `html(runs:options:)` for JSON: one `runs/get` result or an array of them.
    public static func html(runsJSON: Data, options: ReportOptions = ReportOptions()) throws -> String {
        let (figures, overview) = try build(try runs(fromJSON: runsJSON), options: options)
        return HTMLDocument.render(title: options.title ?? "SelectAttention report", runs: figures, overview: overview[0],
                                   tiles: overview[1])
    }

    /// `html(runs:options:)` for runs as `JSONSerialization` objects (`runs/get` results).
    public static func html(runs: [[String: Any]], options: ReportOptions = ReportOptions()) throws -> String {
        try html(runsJSON: try data(runs), options: options)
    }

    /// `svgFigures(runs:options:)` for runs as `JSONSerialization` objects (`runs/get` results).
    public static func svgFigures(runs: [[String: Any]], options: ReportOptions = ReportOptions()) throws -> [(name: String, svg: String)] {
        try svgFigures(runsJSON: try data(runs), options: options)
    }

    private static func data(_ runs: [[String: Any]]) throws -> Data {
        guard JSONSerialization.isValidJSONObject(runs) else { throw ReportError.invalidJSON(reason: "the runs are not JSON values") }
        return try JSONSerialization.data(withJSONObject: runs)
    }

    /// Each figure as a standalone SVG document, named for a file (`sweep-divergence.svg`,
    /// `tiles-recall.svg` (recall and attentionKL against computedFraction, when runs have tile points),
    /// `layers-<run>.svg`, `honest-vs-notebook-<run>.svg`, `per-position-<run>.svg`,
    /// `profile-<run>.svg`, `corpus-<run>.svg`, where `<run>` is the run id's first 8 characters). Names are unique.
    /// Runs without figures contribute none (the params table exists only in the HTML).
    public static func svgFigures(runs: [Run], options: ReportOptions = ReportOptions()) throws -> [(name: String, svg: String)] {
        try svgFigures(try build(runs.map(StoredRun.init), options: options))
    }

    /// `svgFigures(runs:options:)` for JSON: one `runs/get` result or an array of them.
    public static func svgFigures(runsJSON: Data, options: ReportOptions = ReportOptions()) throws -> [(name: String, svg: String)] {
        try svgFigures(try build(try runs(fromJSON: runsJSON), options: options))
    }

    private static func svgFigures(_ built: ([RunFigures], [Figure?])) -> [(name: String, svg: String)] {
        let (perRun, overview) = built
        var used = Set<String>()
        return (overview.compactMap { $0 } + perRun.flatMap(\.figures)).map { figure in
            var name = figure.name, n = 2
            while used.contains(name) {
                name = figure.name.replacingOccurrences(of: ".svg", with: "-\(n).svg")
                n += 1
            }
            used.insert(name)
            return (name, figure.svg(standalone: true))
        }
    }

    /// Parses JSON holding one run object or an array of them, each decoded as a `Run`.
    static func runs(fromJSON data: Data) throws -> [StoredRun] {
        let value: JSONValue
        do {
            value = try JSONParser.parse(data)
        } catch {
            throw ReportError.invalidJSON(reason: "not valid JSON (\(error))")
        }
        if value.objectValue != nil { return [try StoredRun.decode(value, index: 0)] }
        guard let array = value.arrayValue else {
            throw ReportError.invalidJSON(reason: "top-level value is neither an object nor an array")
        }
        return try array.enumerated().map { try StoredRun.decode($1, index: $0) }
    }

    /// The runs' figures, and the figures across runs: [sparsity against divergence (or nil),
    /// recall against computedFraction of the tile runs (or nil)].
    private static func build(_ stored: [StoredRun], options: ReportOptions) throws -> ([RunFigures], [Figure?]) {
        guard !stored.isEmpty else { throw ReportError.noRuns }
        let perRun = stored.map { RunFigures(run: $0, options: options) }
        let sweeps = stored.compactMap { try? SweepResult(run: $0, options: options) }
        return (perRun, [SweepFigure.make(sweeps), RecallFigure.make(sweeps)])
    }
}
