/// The figures and tables of one run, built once and shared by the HTML and SVG outputs.
struct RunFigures {
    var run: StoredRun
    var figures: [Figure]
    /// Extra HTML (tables) placed after the figures, already escaped.
    var tablesHTML: String
    /// A sentence for runs that get no figure (another method, no result, nothing to plot).
    var note: String?

    static let drawnMethods = ["pruneSweep", "perPositionKL", "profileAttention", "calibrate", "evaluateCorpus"]

    init(run: StoredRun, options: ReportOptions) {
        self.run = run
        figures = []
        tablesHTML = ""
        guard RunFigures.drawnMethods.contains(run.method) else {
            note = "No figure for this method (\(run.method)): the report draws pruneSweep, perPositionKL, profileAttention, calibrate and evaluateCorpus runs."
            return
        }
        guard run.result != nil else {
            note = "This run has no result (status: \(run.status ?? "unknown")), so there is nothing to draw."
            return
        }
        do {
            if let sweep = try SweepResult(run: run, options: options) {
                figures = [LayerBarsFigure.make(sweep, selection: options.pointSelection),
                           HonestVsNotebookFigure.make(sweep)].compactMap { $0 }
                if !sweep.points.isEmpty { tablesHTML = HTMLTables.sweepPoints(sweep) }
            } else if let perPosition = try PerPositionResult(run: run, tokenTexts: options.tokenPieces[run.id]) {
                figures = [PerPositionFigure.make(perPosition)].compactMap { $0 }
            } else if let corpus = try CorpusResult(run: run) {
                figures = [CorpusFigure.make(corpus)].compactMap { $0 }
                tablesHTML = CorpusFigure.table(corpus)
            } else if let profile = try ProfileResult(run: run) {
                figures = [ProfileFigure.make(profile, threshold: options.profileThreshold), RoleFigure.make(profile)].compactMap { $0 }
                tablesHTML = HTMLTables.summary(profile.summary)
            } else if let calibration = try CalibrationRun(run: run) {
                figures = [CalibrationFigure.make(calibration)].compactMap { $0 }
                tablesHTML = CalibrationFigure.table(calibration)
            }
        } catch let error as DecodingError {
            let (field, hint) = ReportError.describe(error)
            note = "This run's result does not have the \(run.method) shape of the protocol (result.\(field) \(hint)), so it is not drawn."
            return
        } catch {
            note = "This run's result cannot be read (\(error)), so it is not drawn."
            return
        }
        if figures.isEmpty {
            note = "This \(run.method) run has nothing to plot: its result holds no points or layers."
        }
    }
}
