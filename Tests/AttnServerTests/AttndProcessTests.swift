import Foundation
import JSONRPC
import TestSupport
import XCTest

/// Spawns the built `attnd` (from `.build/debug`, next to the test bundle).
final class AttndProcessTests: XCTestCase {
    private func attnd() throws -> URL { try BuiltProducts.executable("attnd") }

    private let quietStderr = FileHandle(forWritingAtPath: "/dev/null")

    // MARK: stdio

    func testStdioInitializeShutdownExitEndsWithZero() throws {
        let client = try RPCClient.spawn(executable: attnd(), arguments: ["--stdio", "--log-level", "error"], stderr: quietStderr)
        let result = try client.request("initialize", params: ["clientInfo": ["name": "process-test"]], timeout: 10)
        XCTAssertEqual(result["serverInfo"]?["name"], "attnd")
        XCTAssertEqual(result["protocolVersion"], "1.0")
        XCTAssertEqual(try client.request("shutdown", timeout: 10), .null)
        client.notify("exit")
        XCTAssertEqual(client.waitForExit(timeout: 10), 0)
    }

    func testStdioExitWithoutShutdownEndsWithOne() throws {
        let client = try RPCClient.spawn(executable: attnd(), arguments: ["--stdio"], stderr: quietStderr)
        _ = try client.request("initialize", timeout: 10)
        client.notify("exit")
        XCTAssertEqual(client.waitForExit(timeout: 10), 1)
    }

    func testStdioEndOfInputBehavesLikeExit() throws {
        let client = try RPCClient.spawn(executable: attnd(), arguments: ["--stdio"], stderr: quietStderr)
        _ = try client.request("initialize", timeout: 10)
        _ = try client.request("shutdown", timeout: 10)
        client.close()
        XCTAssertEqual(client.waitForExit(timeout: 10), 0)
    }

    /// Runs attnd with `arguments` until it exits; returns the exit status.
    private func runToExit(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = try attnd()
        process.arguments = arguments
        process.standardError = quietStderr
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func testBadFlagsAreRefused() throws {
        XCTAssertNotEqual(try runToExit(["--stdio", "--listen", "/tmp/x.sock"]), 0)
        XCTAssertNotEqual(try runToExit([]), 0, "one of --stdio / --listen is required")
        XCTAssertNotEqual(try runToExit(["--stdio", "--log-level", "loud"]), 0)
    }

    // MARK: Unix socket

    private func socketPath() -> String {
        PrivateSocketPath.make()
    }

    private func startListening(_ path: String) throws -> Process {
        let process = Process()
        process.executableURL = try attnd()
        process.arguments = ["--listen", path, "--log-level", "error"]
        process.standardError = quietStderr
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while UnixSocket.probe(path: path) != .live {
            guard Date() < deadline, process.isRunning else {
                let failure = DaemonStartFailure(path: path, waitedSeconds: 10, process: process)
                process.terminate()
                throw failure
            }
            usleep(10_000)
        }
        return process
    }

    private func stop(_ process: Process, path: String) {
        if process.isRunning {
            process.terminate()  // SIGTERM: removes the socket file, exits 0
            process.waitUntilExit()
        }
        PrivateSocketPath.remove(path)
    }

    func testSocketServesTwoClientsAtOnceAndExitClosesOnlyOne() throws {
        let path = socketPath()
        let daemon = try startListening(path)
        defer { stop(daemon, path: path) }

        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600, "socket file mode")

        let first = try RPCClient.connect(socketPath: path)
        let second = try RPCClient.connect(socketPath: path)
        let group = DispatchGroup()
        var results: [JSONValue?] = [nil, nil]
        let lock = NSLock()
        for (index, client) in [first, second].enumerated() {
            group.enter()
            client.send("initialize") { outcome in
                lock.lock(); results[index] = try? outcome.get(); lock.unlock()
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(results.compactMap { $0?["serverInfo"]?["name"] }, ["attnd", "attnd"])

        _ = try first.request("shutdown", timeout: 10)
        first.notify("exit")
        let closedDeadline = Date().addingTimeInterval(5)
        var firstClosed = false
        while Date() < closedDeadline {
            if case RPCClient.Failure.connectionClosed? = (Result { try first.request("shutdown", timeout: 1) }.failureValue as? RPCClient.Failure) {
                firstClosed = true
                break
            }
            usleep(20_000)
        }
        XCTAssertTrue(firstClosed, "exit closes that client's connection")
        XCTAssertTrue(daemon.isRunning, "exit from one socket client does not end the daemon")
        XCTAssertThrowsError(try second.request("no/such", timeout: 10)) { error in
            XCTAssertEqual((error as? RPCError)?.code, .methodNotFound, "the other client is still served")
        }
        second.close()

        // A second daemon on the same live path refuses to start.
        XCTAssertNotEqual(try runToExit(["--listen", path]), 0)
        XCTAssertEqual(UnixSocket.probe(path: path), .live, "the first daemon still serves")

        daemon.terminate()
        daemon.waitUntilExit()
        XCTAssertEqual(daemon.terminationStatus, 0)
        XCTAssertEqual(UnixSocket.probe(path: path), .absent, "SIGTERM removes the socket file")
    }

    func testStaleSocketFileIsReplaced() throws {
        let path = socketPath()
        let stale = try UnixSocket.listen(path: path)
        close(stale)  // the file stays, nobody listens: what a crashed daemon leaves
        XCTAssertEqual(UnixSocket.probe(path: path), .stale)
        let daemon = try startListening(path)
        defer { stop(daemon, path: path) }
        let client = try RPCClient.connect(socketPath: path)
        XCTAssertEqual(try client.request("initialize", timeout: 10)["protocolVersion"], "1.0")
        client.close()
    }

    func testPathThatIsNotASocketIsRefusedAndKept() throws {
        let path = socketPath()
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
        defer { PrivateSocketPath.remove(path) }
        XCTAssertNotEqual(try runToExit(["--listen", path]), 0)
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("keep me".utf8))
    }
}

private extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
