import Foundation

/// Renders stored runs (what `runs/get` returns) as one self-contained HTML page or as
/// standalone SVG figures. Pure functions of their input: no I/O, safe from any thread.
///
/// Draws `pruneSweep` runs (sparsity against divergence, overlaid across runs; per-layer
/// bars; this tool against the notebook), `perPositionKL` runs (layers × positions heatmap
/// with tokens) and `profileAttention` runs (layers × heads heatmaps). Other methods get a
/// short note. Missing optional fields are left out; unknown fields are ignored.
public enum RunReport {
    /// The report as one HTML document (UTF-8 text). Throws `ReportError` when `runs` is
    /// empty or an entry is not a stored run.
    public static func html(runs: [[String: Any]], options: ReportOptions = ReportOptions()) throws -> String {
        let (figures, overview) = try build(runs, options: options)
        return HTMLDocument.render(title: options.title ?? "SelectAttention report", runs: figures, overview: overview)
    }

    /// `html(runs:options:)` for JSON: one run object or an array of them.
    public static func html(runsJSON: Data, options: ReportOptions = ReportOptions()) throws -> String {
        try html(runs: runs(fromJSON: runsJSON), options: options)
    }

    /// Each figure as a standalone SVG document, named for a file (`sweep-divergence.svg`,
    /// `layers-<run>.svg`, `honest-vs-notebook-<run>.svg`, `per-position-<run>.svg`,
    /// `profile-<run>.svg`, where `<run>` is the run id's first 8 characters). Names are unique.
    /// Runs without figures contribute none (the params table exists only in the HTML).
    public static func svgFigures(runs: [[String: Any]], options: ReportOptions = ReportOptions()) throws -> [(name: String, svg: String)] {
        let (perRun, overview) = try build(runs, options: options)
        var used = Set<String>()
        return ([overview].compactMap { $0 } + perRun.flatMap(\.figures)).map { figure in
            var name = figure.name, n = 2
            while used.contains(name) {
                name = figure.name.replacingOccurrences(of: ".svg", with: "-\(n).svg")
                n += 1
            }
            used.insert(name)
            return (name, figure.svg(standalone: true))
        }
    }

    /// `svgFigures(runs:options:)` for JSON: one run object or an array of them.
    public static func svgFigures(runsJSON: Data, options: ReportOptions = ReportOptions()) throws -> [(name: String, svg: String)] {
        try svgFigures(runs: runs(fromJSON: runsJSON), options: options)
    }

    /// Parses JSON holding one run object or an array of run objects.
    public static func runs(fromJSON data: Data) throws -> [[String: Any]] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw ReportError.invalidJSON(reason: "not valid JSON (\(error.localizedDescription))")
        }
        if let one = value as? [String: Any] { return [one] }
        guard let array = value as? [Any] else {
            throw ReportError.invalidJSON(reason: "top-level value is neither an object nor an array")
        }
        return try array.enumerated().map { i, entry in
            guard let run = entry as? [String: Any] else {
                throw ReportError.notARun(index: i, field: "(entry)", hint: "is not a JSON object")
            }
            return run
        }
    }

    private static func build(_ runs: [[String: Any]], options: ReportOptions) throws -> ([RunFigures], Figure?) {
        guard !runs.isEmpty else { throw ReportError.noRuns }
        let stored = try runs.enumerated().map { try StoredRun(json: $1, index: $0) }
        let perRun = stored.map { RunFigures(run: $0, options: options) }
        let overview = SweepFigure.make(stored.compactMap(SweepResult.init(run:)))
        return (perRun, overview)
    }
}
