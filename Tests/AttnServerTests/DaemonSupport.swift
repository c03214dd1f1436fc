import Foundation
import JSONRPC
import TestSupport
import XCTest

/// Paths and a spawned daemon for the tests that drive the real `attnd` binary.
enum DaemonSupport {
    /// `Tests/Fixtures/`.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func model(_ name: String) -> String { fixtures.appendingPathComponent("models/\(name)").path }

    /// The built `attnd`, next to the test bundle.
    static func attnd() throws -> URL { try BuiltProducts.executable("attnd") }

    /// A fresh temporary folder, removed by the caller's teardown.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("attnd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Spawns `attnd --stdio` with `arguments` and initializes it.
    static func spawn(_ arguments: [String], onNotification: @escaping (RPCNotification) -> Void = { _ in }) throws -> RPCClient {
        let client = try RPCClient.spawn(executable: attnd(), arguments: ["--stdio", "--log-level", "error"] + arguments,
                                         stderr: FileHandle(forWritingAtPath: "/dev/null"), onNotification: onNotification)
        _ = try client.request("initialize", params: ["clientInfo": ["name": "daemon-tests"]], timeout: 30)
        return client
    }

    /// Starts `attnd --listen path` with `arguments` (stderr discarded) and waits until it
    /// answers on the socket (at most 20 s; a daemon that dies or never binds fails the test).
    static func listen(on path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Process {
        let daemon = Process()
        daemon.executableURL = try attnd()
        daemon.arguments = ["--listen", path] + arguments
        if let environment { daemon.environment = environment }
        daemon.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try daemon.run()
        let deadline = Date().addingTimeInterval(20)
        while UnixSocket.probe(path: path) != .live {
            guard Date() < deadline, daemon.isRunning else {
                throw DaemonStartFailure(path: path, waitedSeconds: 20, process: daemon)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return daemon
    }

    /// Runs `body` (typically spawning a daemon, which inherits the limit) under a file-size
    /// limit of `bytes` (RLIMIT_FSIZE; no root needed), then restores the old limit.
    static func withFileSizeLimit<T>(_ bytes: Int, _ body: () throws -> T) throws -> T {
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        var limited = saved
        limited.rlim_cur = rlim_t(bytes)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited), 0)
        defer { XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0) }
        return try body()
    }

    /// Ends the daemon politely and checks it exited with 0.
    static func stop(_ client: RPCClient) {
        _ = try? client.request("shutdown", timeout: 10)
        client.notify("exit")
        XCTAssertEqual(client.waitForExit(timeout: 10), 0)
    }

    /// The error a request fails with (fails the test when it succeeds).
    static func error(_ client: RPCClient, _ method: String, _ params: JSONValue?,
                      file: StaticString = #filePath, line: UInt = #line) -> RPCError? {
        do {
            let r = try client.request(method, params: params, timeout: 60)
            XCTFail("\(method) succeeded unexpectedly: \(r)", file: file, line: line)
            return nil
        } catch let e as RPCError {
            return e
        } catch {
            XCTFail("\(method) failed without an RPC error: \(error)", file: file, line: line)
            return nil
        }
    }
}

extension JSONValue {
    var array: [JSONValue] { arrayValue ?? [] }
}
