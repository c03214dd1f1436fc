import Foundation
import JSONRPC

/// A client that sees whole frames (to check that a batch is answered as one array) and can
/// write arbitrary bytes (to send malformed headers).
final class RawClient: @unchecked Sendable {
    let connection: Connection
    private let lock = NSLock()
    private var frames: [JSONValue] = []

    init(connection: Connection) {
        self.connection = connection
        connection.start(onEvent: { [weak self] event in
            guard let self, case .message(let body) = event, let value = try? JSONParser.parse(body) else { return }
            lock.lock(); frames.append(value); lock.unlock()
        }, onEnd: {})
    }

    func send(_ text: String) {
        connection.send(body: Data(text.utf8))
    }

    /// Writes bytes as they are, with no framing.
    func writeRaw(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(connection.writeFD, $0.baseAddress, $0.count) }
    }

    /// Waits until at least `count` frames arrived; returns all frames so far.
    func frames(atLeast count: Int, timeout: Double = 5) -> [JSONValue] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            lock.lock()
            let snapshot = frames
            lock.unlock()
            if snapshot.count >= count || Date() >= deadline { return snapshot }
            usleep(2_000)
        }
    }
}

extension ServerHarness {
    func connectRaw() throws -> RawClient {
        let (serverSide, clientSide) = try Connection.pipePair(maxMessageBytes: server.configuration.maxMessageBytes)
        server.serve(serverSide)
        return RawClient(connection: clientSide)
    }
}
