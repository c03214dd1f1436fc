import AttnProtocol
import Foundation
import JSONRPC
import RunReport

/// `runs/report`: the HTML report (or standalone SVG figures) of stored runs, rendered by
/// `RunReport` from what `runs/get` returns for each id.
extension ModelSession {
    func registerReport(into registry: MethodRegistry) {
        registry.register("runs/report", kind: .immediate, params: RunsReportParams.self, handle: { p, _ in
            let store = try self.history.requireStore()
            let runs: [Run] = try p.ids.enumerated().map { i, id in
                let details = try store.run(id: id)
                guard details.run.status == .completed else {
                    throw RPCError.invalidParams(field: "ids[\(i)]", value: .string(id),
                                                 accepted: "a completed run (this one is \(details.run.status.rawValue))")
                }
                return self.run(details)
            }
            var options = ReportOptions()
            options.title = p.title
            if let model = self.current {
                options.modelShapes[model.fingerprint] = (model.config.nLayer, model.config.nHead)
                // The per-position heatmap labels positions with their tokens' text, when the run's model is loaded.
                for run in runs where run.summary.method == "perPositionKL" && run.summary.model == model.fingerprint {
                    let ids = run.params["text"]?.stringValue.map { model.tokenizer.encodeWithOffsets($0).map(\.id) }
                        ?? run.params["tokens"]?.arrayValue?.compactMap(\.intValue)
                    options.tokenPieces[run.summary.id] = ids?.map { model.tokenizer.piece($0) ?? "#\($0)" }
                }
            }
            let data = JSONWriter.data(try JSONValue(encoding: runs))
            do {
                if p.format == .svg {
                    let figures = try RunReport.svgFigures(runsJSON: data, options: options)
                    return RunsReportResult(figures: figures.map { Figure(name: $0.name, svg: $0.svg) })
                }
                return RunsReportResult(html: try RunReport.html(runsJSON: data, options: options))
            } catch {
                throw RPCError(.internalError, "cannot render the report: \(error)")
            }
        })
    }
}
