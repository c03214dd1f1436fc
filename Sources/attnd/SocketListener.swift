import AttnServer
import Foundation
import JSONRPC
import Logging

/// The Unix-socket transport: any number of clients, each its own session sharing the server.
/// `exit` from a client closes that client's connection only. SIGINT/SIGTERM remove the
/// socket file and end the process with 0.
final class SocketListener {
    enum Failure: Error, CustomStringConvertible {
        case inUse(path: String)
        case notASocket(path: String)

        var description: String {
            switch self {
            case .inUse(let path): return "another attnd is already serving \(path); connect to it, or stop it first"
            case .notASocket(let path): return "\(path) exists and is not a socket; choose another --listen path"
            }
        }
    }

    let path: String
    let fd: Int32
    private let logger: Logger
    private var signalSources: [DispatchSourceSignal] = []

    private init(path: String, fd: Int32, logger: Logger) {
        self.path = path
        self.fd = fd
        self.logger = logger
    }

    /// Binds `path`: creates its folder (mode 0700) when absent and refuses a folder that is not
    /// ours alone (`SocketFolder.prepare`); refuses when a live daemon answers there or the path
    /// is not a socket; replaces a stale socket file left by a daemon that died.
    static func open(path: String, logger: Logger) throws -> SocketListener {
        try SocketFolder.prepare(forSocket: path)
        switch UnixSocket.probe(path: path) {
        case .live: throw Failure.inUse(path: path)
        case .notASocket: throw Failure.notASocket(path: path)
        case .stale:
            logger.notice("replacing stale socket file \(path)")
            unlink(path)
        case .absent: break
        }
        let fd = try UnixSocket.listen(path: path)
        return SocketListener(path: path, fd: fd, logger: logger)
    }

    /// Accepts clients forever on the calling thread.
    ///
    /// A peer running as another user (`SO_PEERCRED`) is closed at once; beyond `maxClients`
    /// connected clients a new one gets one error response (`-32000`, id null) and is closed.
    /// Failing `accept` calls (out of descriptors) back off from 50 ms to 2 s and are logged
    /// once per streak, not once per try.
    func serve(_ server: RPCServer, maxMessageBytes: Int, maxClients: Int) -> Never {
        installSignalHandlers(server)
        var backoff = AcceptBackoff()
        while true {
            let client: Int32
            do {
                client = try UnixSocket.accept(listener: fd)
            } catch {
                if let note = backoff.failed(error) { logger.error("\(note)") }
                usleep(backoff.delayMicroseconds)
                continue
            }
            if let note = backoff.succeeded() { logger.notice("\(note)") }
            do {
                try SocketFolder.verifyPeer(of: client, socketPath: path)
            } catch {
                logger.warning("refused a client: \(error)")
                close(client)
                continue
            }
            if server.clientCount >= maxClients {
                logger.warning("refused a client: \(maxClients) clients are connected (--max-clients)")
                refuse(client, message: "attnd serves at most \(maxClients) clients at once (--max-clients) and that many are connected; try again later")
                continue
            }
            let connection = Connection(readFD: client, writeFD: client, maxMessageBytes: maxMessageBytes,
                                        label: "socket fd \(client)",
                                        outputQueueLimit: server.configuration.maxOutputQueueBytes)
            server.serve(connection)
        }
    }

    /// Writes one framed error response with a null id, then closes `client`. A non-blocking
    /// write: a peer that does not read cannot stall the accept loop.
    private func refuse(_ client: Int32, message: String) {
        let body = JSONWriter.data([
            "jsonrpc": "2.0", "id": nil,
            "error": ["code": .int(Int64(RPCErrorCode.serverBusy.rawValue)), "message": .string(message)],
        ])
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        MessageFramer.frame(body).withUnsafeBytes { raw in _ = write(client, raw.baseAddress, raw.count) }
        close(client)
    }

    private func installSignalHandlers(_ server: RPCServer) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [path, logger] in
                logger.info("signal \(signalNumber): removing \(path) and exiting")
                unlink(path)
                exit(0)
            }
            source.resume()
            signalSources.append(source)
        }
    }
}
