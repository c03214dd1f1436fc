import AttnServer
import Foundation
import JSONRPC

/// `attnd --mcp`: one MCP client on stdin and the diverted stdout, one message per line.
///
/// The bridge talks to a session of `server` over an in-process pipe pair, so every tool runs
/// through the daemon's own dispatch. End of input ends the session (`shutdown`, `exit`) and
/// the process with code 0, once the requests already received are answered. Only protocol lines are written to `protocolOutput`; logs go to stderr.
public enum MCPStdioTransport {
    public static func serve(_ server: RPCServer, protocolOutput: Int32, maxMessageBytes: Int) -> Never {
        let bridge: MCPBridge
        do {
            let (serverSide, bridgeSide) = try Connection.pipePair(maxMessageBytes: maxMessageBytes,
                                                                   outputQueueLimit: server.configuration.maxOutputQueueBytes)
            server.serve(serverSide)
            bridge = try MCPBridge(inner: bridgeSide) { body in
                var line = body
                line.append(UInt8(ascii: "\n"))
                writeAll(line, to: protocolOutput)
            }
        } catch {
            server.logger.critical("cannot start the MCP endpoint: \(error)")
            exit(2)
        }
        server.logger.info("attnd serving MCP on stdio (pid \(getpid()))")
        var framer = LineFramer(maxLineBytes: maxMessageBytes)
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            for event in framer.consume(Data(buffer[0..<count])) {
                switch event {
                case .line(let line): bridge.receive(line: line)
                case .tooLong(let limit): bridge.receiveTooLong(limitBytes: limit)
                }
            }
        }
        server.logger.debug("MCP client closed stdin; ending")
        bridge.close()
        fflush(stderr)
        exit(0)
    }

    /// Writes every byte (retrying short writes); gives up silently when the peer is gone.
    static func writeAll(_ data: Data, to fd: Int32) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 { if errno == EINTR { continue }; return }
                offset += written
            }
        }
    }
}
