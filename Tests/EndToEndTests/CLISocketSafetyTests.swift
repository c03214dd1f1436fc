import Foundation
import JSONRPC
import XCTest

/// What `attn` and `attnd --listen` do around sockets other users could reach: a folder owned
/// by someone else (squatting), a shared daemon's folder that does not exist yet, and a reader
/// of `attn`'s output that goes away. The squatting cases chown folders to `nobody` (65534),
/// so they need root (CI runs as root) and report a skip elsewhere.
final class CLISocketSafetyTests: XCTestCase {
    /// A folder owned by `nobody` holding a listening socket nobody accepts on: the fake
    /// daemon of the squatting trial. Returns the socket path and its listening descriptor.
    private func squattedSocket(in harness: AttnHarness, folderName: String) throws -> (path: String, listener: Int32) {
        try XCTSkipUnless(geteuid() == 0, "needs root to chown a folder to another uid (CI runs as root)")
        let folder = harness.folder.appendingPathComponent(folderName).path
        XCTAssertEqual(mkdir(folder, 0o755), 0)
        let path = folder + "/attnd.sock"
        let listener = try UnixSocket.listen(path: path)
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        chmod(path, 0o666)
        XCTAssertEqual(chown(path, 65534, 65534), 0)
        XCTAssertEqual(chown(folder, 65534, 65534), 0)
        return (path, listener)
    }

    /// True when somebody connected to the fake daemon (accept on a non-blocking listener).
    private func someoneConnected(_ listener: Int32) -> Bool {
        let client = accept(listener, nil, nil)
        if client >= 0 { close(client); return true }
        return false
    }

    func testExplicitSocketInAFolderOfAnotherUserIsRefusedAndGetsNoText() throws {
        let harness = try AttnHarness()
        let fake = try squattedSocket(in: harness, folderName: "squat")
        defer { close(fake.listener) }
        let outcome = try harness.run(["tokenize", "--socket", fake.path, "my confidential draft"])
        XCTAssertEqual(outcome.status, 3, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("owned by uid 65534"), outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains(harness.folder.appendingPathComponent("squat").path), outcome.stderr)
        XCTAssertFalse(someoneConnected(fake.listener), "attn never connected to the planted socket")
    }

    func testSquattedDefaultFolderIsSkippedForAPrivateDaemon() throws {
        let harness = try AttnHarness()
        harness.environment["XDG_RUNTIME_DIR"] = harness.folder.path
        let fake = try squattedSocket(in: harness, folderName: "selectattention")
        defer { close(fake.listener) }
        let outcome = try harness.run(["tokenize", "--json", "my confidential draft"] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("not using the default socket"), outcome.stderr)
        XCTAssertTrue(outcome.stdout.contains("\"tokens\""), "answered by the spawned daemon: \(outcome.stdout)")
        XCTAssertFalse(someoneConnected(fake.listener), "the text never went to the planted socket")
    }

    func testListeningDaemonRefusesAFolderOfAnotherUserBeforeLoadingTheModel() throws {
        let harness = try AttnHarness()
        try XCTSkipUnless(geteuid() == 0, "needs root to chown a folder to another uid (CI runs as root)")
        let folder = harness.folder.appendingPathComponent("theirs").path
        XCTAssertEqual(mkdir(folder, 0o700), 0)
        XCTAssertEqual(chown(folder, 65534, 65534), 0)
        let outcome = try harness.run(["--listen", folder + "/attnd.sock", "--model", "/nonexistent/model"],
                                      executable: harness.attnd)
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("socket folder \(folder) is owned by uid 65534"), outcome.stderr)
        XCTAssertFalse(outcome.stderr.contains("/nonexistent/model"), "the bind is checked before the model is loaded: \(outcome.stderr)")
    }

    func testReadmeSharedDaemonCommandCreatesItsFolder() throws {
        let harness = try AttnHarness()
        let defaultPath = try harness.run(["socket-path"]).stdout.trimmingCharacters(in: .newlines)
        let folder = (defaultPath as NSString).deletingLastPathComponent
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder), "a fresh machine has no such folder")
        let daemon = try harness.start(["--listen", defaultPath, "--model", AttnHarness.tinyModel, "--no-history"],
                                       executable: harness.attnd)
        defer { daemon.process.interrupt() }
        let deadline = Date().addingTimeInterval(30)
        while UnixSocket.probe(path: defaultPath) != .live, Date() < deadline, daemon.process.isRunning { usleep(20_000) }
        XCTAssertEqual(UnixSocket.probe(path: defaultPath), .live, daemon.stderrSoFar)
        var info = stat()
        XCTAssertEqual(lstat(folder, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700, "the folder is created private")
        let viaDefault = try harness.run(["tokenize", "--attnd", "/nonexistent/attnd", "--json", "The fox"])
        XCTAssertEqual(viaDefault.status, 0, "attn finds the shared daemon on the default path: \(viaDefault.stderr)")
    }

    func testClosedStdoutEndsAttnQuietly() throws {
        let harness = try AttnHarness()
        let file = harness.folder.appendingPathComponent("long.txt")
        try String(repeating: "the fox and the dog ", count: 40).write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = harness.attn
        process.arguments = ["tokenize", "--file", file.path] + harness.modelArguments
        process.environment = harness.environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try stdout.fileHandleForReading.close()   // the reader is gone before attn writes: `| head -0`
        try process.run()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 141, String(decoding: errors, as: UTF8.self))
        XCTAssertEqual(String(decoding: errors, as: UTF8.self), "", "no fatal error, no backtrace")
    }
}
