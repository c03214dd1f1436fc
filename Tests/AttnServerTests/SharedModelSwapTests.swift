import Foundation
import JSONRPC
import TestSupport
import XCTest

/// One client cannot swap the shared model under another without saying so (issue 20 item 10).
final class SharedModelSwapTests: XCTestCase {
    private var daemon: Process!
    private var path: String!

    override func setUpWithError() throws {
        path = PrivateSocketPath.make()
        daemon = try DaemonSupport.listen(on: path, ["--log-level", "error", "--no-history", "--model", DaemonSupport.model("tiny-peaked")])
    }

    override func tearDown() {
        daemon?.terminate()
        daemon?.waitUntilExit()
        PrivateSocketPath.remove(path)
    }

    private final class Notes: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [RPCNotification] = []
        func add(_ n: RPCNotification) { lock.withLock { values.append(n) } }
        var all: [RPCNotification] { lock.withLock { values } }
    }

    private func client(_ notes: Notes? = nil) throws -> RPCClient {
        let c = try RPCClient.connect(socketPath: path, onNotification: { notes?.add($0) })
        _ = try c.request("initialize", params: ["clientInfo": ["name": "swap-test"]], timeout: 10)
        return c
    }

    private func runAttn(_ arguments: [String]) throws -> (status: Int32, err: String) {
        let process = Process()
        process.executableURL = try BuiltProducts.executable("attn")
        process.arguments = arguments
        let err = Pipe()
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = err
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    func testASwapUnderAnotherClientNeedsForceAndIsAnnounced() throws {
        let notes = Notes()
        let watcher = try client(notes)
        let swapper = try client()
        let legacy = DaemonSupport.model("tiny-legacy"), peaked = DaemonSupport.model("tiny-peaked")

        // Reloading the model already loaded is always fine and announces nothing.
        XCTAssertEqual(try swapper.request("model/load", params: ["path": .string(peaked)], timeout: 20)["name"], "tiny-peaked")

        // A different model with another client connected: refused, the old model stays.
        let refusal = try XCTUnwrap(DaemonSupport.error(swapper, "model/load", ["path": .string(legacy)]))
        XCTAssertEqual(refusal.code, .serverBusy)
        XCTAssertEqual(refusal.data?["otherClients"], 1)
        XCTAssertTrue(refusal.message.contains("force"), refusal.message)
        XCTAssertEqual(try watcher.request("model/info", timeout: 5)["name"], "tiny-peaked")
        XCTAssertTrue(notes.all.isEmpty)

        // With force: swapped, and the other client is told.
        XCTAssertEqual(try swapper.request("model/load", params: ["path": .string(legacy), "force": true], timeout: 20)["name"], "tiny-legacy")
        let deadline = Date().addingTimeInterval(5)
        while notes.all.isEmpty, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(notes.all.map(\.method), ["$/modelChanged"])
        XCTAssertEqual(notes.all.first?.params?["model"]?["name"], "tiny-legacy")
        XCTAssertEqual(try watcher.request("model/info", timeout: 5)["name"], "tiny-legacy")

        // The CLI says how to force it, and --force-model does.
        let refused = try runAttn(["tokenize", "a b", "--socket", path, "--model", peaked])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.err.contains("--force-model"), refused.err)
        XCTAssertEqual(try runAttn(["tokenize", "a b", "--socket", path, "--model", peaked, "--force-model"]).status, 0)
        XCTAssertEqual(try watcher.request("model/info", timeout: 5)["name"], "tiny-peaked")

        // --no-history cannot change a listening daemon's history: the CLI says so.
        let noted = try runAttn(["tokenize", "a b", "--socket", path, "--no-history"])
        XCTAssertEqual(noted.status, 0)
        XCTAssertTrue(noted.err.contains("apply only to a daemon attn spawns"), noted.err)

        // Alone on the daemon, no force is needed.
        watcher.close()
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(try swapper.request("model/load", params: ["path": .string(peaked)], timeout: 20)["name"], "tiny-peaked")
    }
}
