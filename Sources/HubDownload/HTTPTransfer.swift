import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One blocking HTTP request over `URLSession`, body streamed to a sink, headers of the first
/// (pre-redirect) response kept: the hub puts `X-Repo-Commit` and `X-Linked-Etag` on its own
/// 302 answer, not on the CDN's.
///
/// Threading: `perform` blocks the calling thread, waking every 50 ms to ask `watchdog`
/// whether to go on; `onBody` runs on the session's delegate queue, one chunk at a time in order.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Outcome {
        /// Final status code (after redirects).
        var status: Int
        /// Headers of the final response, names lowercased.
        var headers: [String: String]
        /// Headers of the first response (the hub's own), names lowercased.
        var firstHeaders: [String: String]
    }

    private let lock = NSLock()
    private var firstHeaders: [String: String]?
    private var response: HTTPURLResponse?
    private var failure: Error?
    private var sinkError: Error?
    /// Body bytes received so far (all chunks); nil until the final response's headers arrive.
    private var receivedBytes: Int64?
    private let done = DispatchSemaphore(value: 0)
    private let onResponse: (Int, [String: String]) throws -> Void
    private let onBody: (Data) throws -> Void

    /// - Parameters:
    ///   - onResponse: the final status and headers, before any body; throw to cancel.
    ///   - onBody: each received chunk; throw to cancel (the error is rethrown by `perform`).
    private init(onResponse: @escaping (Int, [String: String]) throws -> Void, onBody: @escaping (Data) throws -> Void) {
        self.onResponse = onResponse
        self.onBody = onBody
    }

    /// Sends `request` and waits for the end of the body.
    /// - Parameter watchdog: asked every 50 ms with the body bytes received so far (nil before
    ///   the response's headers); an error it returns cancels the transfer, and `perform` throws it.
    /// - Throws: the watchdog's or the sink's error, or the transport error (`URLError`).
    static func perform(_ request: URLRequest, timeout: TimeInterval,
                        watchdog: @escaping (Int64?) -> Error? = { _ in nil },
                        onResponse: @escaping (Int, [String: String]) throws -> Void = { _, _ in },
                        onBody: @escaping (Data) throws -> Void = { _ in }) throws -> Outcome {
        let transfer = HTTPTransfer(onResponse: onResponse, onBody: onBody)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: request)
        task.resume()
        while transfer.done.wait(timeout: .now() + 0.05) == .timedOut {
            let received = transfer.lock.withLock { transfer.receivedBytes }
            if let stop = watchdog(received) {
                transfer.recordSinkError(stop)
                task.cancel()
                transfer.done.wait()
                break
            }
        }
        transfer.lock.lock()
        defer { transfer.lock.unlock() }
        if let sinkError = transfer.sinkError { throw sinkError }
        if let failure = transfer.failure { throw failure }
        guard let response = transfer.response else { throw URLError(.badServerResponse) }
        let headers = lowercased(response.allHeaderFields)
        return Outcome(status: response.statusCode, headers: headers, firstHeaders: transfer.firstHeaders ?? headers)
    }

    private static func lowercased(_ fields: [AnyHashable: Any]) -> [String: String] {
        var headers: [String: String] = [:]
        for (key, value) in fields {
            if let name = key as? String { headers[name.lowercased()] = "\(value)" }
        }
        return headers
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        lock.lock()
        if firstHeaders == nil { firstHeaders = HTTPTransfer.lowercased(response.allHeaderFields) }
        lock.unlock()
        completionHandler(request)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            completionHandler(.cancel)
            return
        }
        lock.lock()
        self.response = http
        if receivedBytes == nil { receivedBytes = 0 }
        lock.unlock()
        do {
            try onResponse(http.statusCode, HTTPTransfer.lowercased(http.allHeaderFields))
            completionHandler(.allow)
        } catch {
            recordSinkError(error)
            completionHandler(.cancel)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.withLock { receivedBytes = (receivedBytes ?? 0) + Int64(data.count) }
        do {
            try onBody(data)
        } catch {
            recordSinkError(error)
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        failure = error
        lock.unlock()
        done.signal()
    }

    private func recordSinkError(_ error: Error) {
        lock.lock()
        if sinkError == nil { sinkError = error }
        lock.unlock()
    }
}
