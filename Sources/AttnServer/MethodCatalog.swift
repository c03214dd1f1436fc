import JSONRPC

/// Registers the model-backed methods (`model/load`, `model/info`, `tokenize`, `forward`,
/// `profileAttention`, `pruneSweep`, `perPositionKL`, `runs/*`) and the `initialize`
/// extension that reports/loads the model.
///
/// Called once by `attnd` before serving. The lifecycle methods (`initialize`, `shutdown`,
/// `exit`, `$/cancelRequest`) belong to the framework and are not registered here.
public func registerAnalysisMethods(into registry: MethodRegistry, configuration: ServerConfiguration) {
    // Filled in with the session's methods (lead).
}
