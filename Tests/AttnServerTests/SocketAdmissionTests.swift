import Foundation
import JSONRPC
import TestSupport
import XCTest

/// Who `attnd --listen` lets in: a peer of another uid is closed at once (`SO_PEERCRED`), and
/// beyond `--max-clients` a new client gets one `-32000` and is closed; the clients already
/// connected are served throughout.
final class SocketAdmissionTests: XCTestCase {
    private var daemon: Process!
    private var path: String!

    private func start(_ extra: [String]) throws {
        path = PrivateSocketPath.make()
        daemon = Process()
        daemon.executableURL = try BuiltProducts.executable("attnd")
        daemon.arguments = ["--listen", path, "--log-level", "error", "--no-history"] + extra
        daemon.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try daemon.run()
        let deadline = Date().addingTimeInterval(20)
        while UnixSocket.probe(path: path) != .live {
            guard Date() < deadline, daemon.isRunning else { throw DaemonStartFailure(path: path, waitedSeconds: 20, process: daemon) }
            usleep(20_000)
        }
    }

    override func tearDown() {
        daemon?.terminate()
        daemon?.waitUntilExit()
        if let path { PrivateSocketPath.remove(path) }
    }

    /// Reads until EOF or `timeout`; returns the bytes and whether EOF came.
    private func readToEnd(_ fd: Int32, timeout: TimeInterval) -> (Data, eof: Bool) {
        var data = Data()
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, 100) > 0 else { continue }
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { return (data, true) }
            data.append(contentsOf: buffer[0..<count])
        }
        return (data, false)
    }

    func testPeerOfAnotherUserIsClosedAndOursIsServed() throws {
        try XCTSkipUnless(geteuid() == 0, "needs root to connect as another uid (CI runs as root)")
        try start([])
        // Let the other user reach the socket file at all, so only the daemon's own check stands.
        chmod((path as NSString).deletingLastPathComponent, 0o755)
        chmod(path, 0o666)
        XCTAssertEqual(seteuid(65534), 0)
        let foreign = try? UnixSocket.connect(path: path)   // SO_PEERCRED records uid 65534
        XCTAssertEqual(seteuid(0), 0)
        let fd = try XCTUnwrap(foreign, "nobody could not connect to a 0666 socket")
        defer { close(fd) }
        let body = #"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#
        _ = "Content-Length: \(body.utf8.count)\r\n\r\n\(body)".withCString { write(fd, $0, strlen($0)) }
        let (answer, eof) = readToEnd(fd, timeout: 5)
        XCTAssertTrue(eof, "the daemon closes a peer of another uid")
        XCTAssertTrue(answer.isEmpty, "and answers it nothing: \(String(decoding: answer, as: UTF8.self))")

        let ours = try RPCClient.connect(socketPath: path)
        defer { ours.close() }
        XCTAssertEqual(try ours.request("initialize", timeout: 10)["serverInfo"]?["name"], "attnd")
    }

    func testClientsBeyondTheCapAreRefusedPolitely() throws {
        try start(["--max-clients", "1"])
        // The start-up probe was a client too: until the daemon has seen it leave, the one
        // place may still be taken, so the first client retries briefly.
        var admitted: RPCClient?
        for _ in 0..<50 where admitted == nil {
            let candidate = try RPCClient.connect(socketPath: path)
            if (try? candidate.request("initialize", timeout: 2))?["serverInfo"]?["name"] == "attnd" {
                admitted = candidate
            } else {
                candidate.close()
                usleep(50_000)
            }
        }
        let first = try XCTUnwrap(admitted, "the first client was never admitted")
        defer { first.close() }

        let second = try UnixSocket.connect(path: path)
        defer { close(second) }
        let (answer, eof) = readToEnd(second, timeout: 5)
        XCTAssertTrue(eof, "the refused client is closed")
        let text = String(decoding: answer, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("Content-Length: "), text)
        let json = try XCTUnwrap(text.components(separatedBy: "\r\n\r\n").last)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertTrue(object["id"] is NSNull, json)
        let error = try XCTUnwrap(object["error"] as? [String: Any])
        XCTAssertEqual(error["code"] as? Int, -32000)
        XCTAssertTrue((error["message"] as? String ?? "").contains("at most 1 clients"), json)

        XCTAssertThrowsError(try first.request("no/such", timeout: 10)) { error in
            XCTAssertEqual((error as? RPCError)?.code, .methodNotFound, "the connected client is still served")
        }
    }

    func testMaxClientsMustBePositive() throws {
        let process = Process()
        process.executableURL = try BuiltProducts.executable("attnd")
        process.arguments = ["--listen", PrivateSocketPath.make(), "--max-clients", "0"]
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
    }
}
