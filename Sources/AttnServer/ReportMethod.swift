import Foundation
import JSONRPC
import RunReport

/// `runs/report`: the HTML report (or standalone SVG figures) of stored runs, rendered by
/// `RunReport` from what `runs/get` returns for each id.
struct ReportParams {
    var ids: [String]
    var title: String?
    /// "html" (default) or "svg".
    var format: String

    init(_ r: ParamReader) throws {
        guard let raw = r.raw("ids")?.arrayValue, (1...64).contains(raw.count) else {
            throw r.invalid("ids", accepted: "an array of 1 to 64 run ids")
        }
        ids = try raw.enumerated().map { i, v in
            guard let s = v.stringValue, UUID(uuidString: s) != nil else {
                throw RPCError.invalidParams(field: "ids[\(i)]", value: v, accepted: "a run id (a UUID)")
            }
            return s.lowercased()
        }
        title = try r.optionalString("title")
        format = try r.string("format", oneOf: ["html", "svg"], default: "html")
    }
}

extension ModelSession {
    func registerReport(into registry: MethodRegistry) {
        registry.register("runs/report", kind: .immediate, parse: { try ReportParams($0) }, handle: { p, _ in
            let store = try self.history.requireStore()
            let runs: [JSONValue] = try p.ids.enumerated().map { i, id in
                let details = try store.run(id: id)
                guard details.run.status == .completed else {
                    throw RPCError.invalidParams(field: "ids[\(i)]", value: .string(id),
                                                 accepted: "a completed run (this one is \(details.run.status.rawValue))")
                }
                return self.runJSON(details)
            }
            var options = ReportOptions()
            options.title = p.title
            let data = JSONWriter.data(.array(runs))
            do {
                if p.format == "svg" {
                    let figures = try RunReport.svgFigures(runsJSON: data, options: options)
                    return ["figures": .array(figures.map { ["name": .string($0.name), "svg": .string($0.svg)] })] as JSONValue
                }
                return ["html": .string(try RunReport.html(runsJSON: data, options: options))] as JSONValue
            } catch {
                throw RPCError(.internalError, "cannot render the report: \(error)")
            }
        })
    }
}
