import AttnServer
import Foundation
import JSONRPC

/// One client on stdin and the diverted stdout. `exit` (or end of input) ends the process:
/// code 0 after `shutdown`, else 1.
enum StdioTransport {
    static func serve(_ server: RPCServer, protocolOutput: Int32, maxMessageBytes: Int) -> Never {
        let connection = Connection(readFD: STDIN_FILENO, writeFD: protocolOutput,
                                    maxMessageBytes: maxMessageBytes, label: "stdio",
                                    outputQueueLimit: server.configuration.maxOutputQueueBytes)
        server.serve(connection) { code in
            // The last responses (e.g. to `shutdown`) may still be queued.
            connection.waitUntilWritten(timeout: 5)
            fflush(stderr)
            exit(code)
        }
        while true { pause() }
    }
}
