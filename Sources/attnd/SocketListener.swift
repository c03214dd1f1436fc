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

    /// Binds `path`: refuses when a live daemon answers there or the path is not a socket;
    /// replaces a stale socket file left by a daemon that died.
    static func open(path: String, logger: Logger) throws -> SocketListener {
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
    func serve(_ server: RPCServer, maxMessageBytes: Int) -> Never {
        installSignalHandlers(server)
        while true {
            do {
                let client = try UnixSocket.accept(listener: fd)
                let connection = Connection(readFD: client, writeFD: client, maxMessageBytes: maxMessageBytes,
                                            label: "socket fd \(client)")
                server.serve(connection)
            } catch {
                logger.error("accept failed: \(error)")
                usleep(50_000)
            }
        }
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
