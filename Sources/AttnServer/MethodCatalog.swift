import Foundation
import JSONRPC
import Logging

/// Registers the model-backed methods (`model/load`, `model/info`, `tokenize`, `forward`, `evaluateCorpus`,
/// `profileAttention`, `pruneSweep`, `perPositionKL`, `runs/*`) and the `initialize`
/// extension that reports/loads the model, on one shared `ModelSession`.
///
/// Called once by `attnd` before serving. Loads `configuration.model` first when set (throws
/// when it cannot: the daemon then refuses to start). The lifecycle methods (`initialize`,
/// `shutdown`, `exit`, `$/cancelRequest`) belong to the framework.
public func registerAnalysisMethods(into registry: MethodRegistry, configuration: ServerConfiguration,
                                    logger: Logger = Logger(label: "attnd.session")) throws {
    let session = ModelSession(configuration: configuration, logger: logger)
    if let model = configuration.model {
        let source: ModelSession.Source = model.hasPrefix("/") || model.hasPrefix(".") || model.hasPrefix("~")
            || FileManager.default.fileExists(atPath: model) ? .path(model) : .name(model, download: false)
        try session.load(source, context: nil)
    }
    session.register(into: registry)
    session.registerForward(into: registry)
    session.registerAnalyses(into: registry)
    session.registerCalibrate(into: registry)
    session.registerCorpus(into: registry)
    session.registerRuns(into: registry)
    session.registerReport(into: registry)
}
