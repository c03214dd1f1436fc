import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `attn` (and `attnd`) from the build products folder next to the test bundle,
/// in a private temporary environment: its own `HOME`, `XDG_RUNTIME_DIR` (so no real daemon's
/// default socket is found), `XDG_DATA_HOME`, `HF_HOME`, and a history database per test.
final class AttnHarness {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    let attn: URL
    let attnd: URL
    let folder: URL
    var environment: [String: String]
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let tinyModel = repository.appendingPathComponent("Tests/Fixtures/models/tiny-peaked").path

    /// The database of the spawned daemons of this harness.
    var db: String { folder.appendingPathComponent("runs.sqlite").path }
    /// `--model tiny-peaked --db <temp>` for a spawned daemon.
    var modelArguments: [String] { ["--model", AttnHarness.tinyModel, "--db", db] }

    init() throws {
        guard let products = AttnHarness.productsFolder() else {
            XCTFail("attn/attnd not found next to the test bundle; run `swift build --build-tests` first")
            throw HarnessError.missing("attn or attnd")
        }
        attn = products.appendingPathComponent("attn")
        attnd = products.appendingPathComponent("attnd")
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("attn-e2e-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("run"), withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = folder.path
        environment["XDG_RUNTIME_DIR"] = folder.appendingPathComponent("run").path
        environment["XDG_DATA_HOME"] = folder.appendingPathComponent("data").path
        environment["HF_HOME"] = folder.appendingPathComponent("hf").path
        environment["NO_COLOR"] = "1"
        environment["ATTND_SOCKET"] = nil
        self.environment = environment
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    static func productsFolder() -> URL? { BuiltProducts.folder(containing: ["attn", "attnd"]) }

    /// A started `attn`; its output is collected while it runs.
    final class Running {
        let process: Process
        private let lock = NSLock()
        private var out = Data()
        private var err = Data()
        private let drained = DispatchGroup()

        init(process: Process, stdout: Pipe, stderr: Pipe) {
            self.process = process
            for (pipe, isOut) in [(stdout, true), (stderr, false)] {
                drained.enter()
                let handle = pipe.fileHandleForReading
                Thread { [self] in
                    while true {
                        let chunk = handle.availableData
                        if chunk.isEmpty { break }
                        lock.lock()
                        if isOut { out.append(chunk) } else { err.append(chunk) }
                        lock.unlock()
                    }
                    drained.leave()
                }.start()
            }
        }

        var stderrSoFar: String {
            lock.lock()
            defer { lock.unlock() }
            return String(decoding: err, as: UTF8.self)
        }

        /// Waits for the exit (killing the process after `timeout` seconds).
        func finish(timeout: TimeInterval) -> Outcome {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning, Date() < deadline { usleep(10_000) }
            if process.isRunning {
                process.terminate()
                XCTFail("attn did not exit within \(timeout) s")
            }
            process.waitUntilExit()
            _ = drained.wait(timeout: .now() + 5)
            lock.lock()
            defer { lock.unlock() }
            return Outcome(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                           stderr: String(decoding: err, as: UTF8.self))
        }
    }

    func start(_ arguments: [String], stdin: String? = nil, executable: URL? = nil) throws -> Running {
        let process = Process()
        process.executableURL = executable ?? attn
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = folder   // files attn writes by default land in the temp folder
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        return Running(process: process, stdout: stdout, stderr: stderr)
    }

    /// Runs `attn arguments` to the end.
    func run(_ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 120, executable: URL? = nil) throws -> Outcome {
        try start(arguments, stdin: stdin, executable: executable).finish(timeout: timeout)
    }

    /// Runs with the tiny model on a spawned daemon and `--json`; fails the test unless the
    /// exit status is 0; returns the parsed result.
    func json(_ arguments: [String], stdin: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let outcome = try run(arguments + modelArguments + ["--json"], stdin: stdin)
        XCTAssertEqual(outcome.status, 0, "attn \(arguments.joined(separator: " ")): \(outcome.stderr)", file: file, line: line)
        let object = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))
        return try XCTUnwrap(object as? [String: Any], "not a JSON object: \(outcome.stdout)", file: file, line: line)
    }

    /// Starts `attnd --listen` on a fresh socket with the tiny model; waits until it answers.
    func listeningDaemon() throws -> (process: Process, socket: String) {
        let socket = folder.appendingPathComponent("run/d.sock").path
        let process = Process()
        process.executableURL = attnd
        process.arguments = ["--listen", socket, "--model", AttnHarness.tinyModel, "--no-history", "--log-level", "error"]
        process.environment = environment
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            if FileManager.default.fileExists(atPath: socket) { return (process, socket) }
            usleep(20_000)
        }
        process.terminate()
        XCTFail("attnd --listen did not create \(socket) within 30 s")
        throw HarnessError.missing(socket)
    }
}

enum HarnessError: Error {
    case missing(String)
}
