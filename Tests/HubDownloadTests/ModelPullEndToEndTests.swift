import Foundation
import TestSupport
import XCTest
@testable import HubDownload

/// `attn model pull NAME` through a spawned daemon (`model/load {name, download: true}`)
/// against the loopback hub: the model lands in the cache layout, loads, and a second pull
/// finds it in the cache without downloading again. Offline endpoints give -32008 (exit 1).
final class ModelPullEndToEndTests: XCTestCase {
    private let repo = "fixtures/tiny-peaked"
    private var server: LoopbackHubServer!
    private var cache: URL!

    override func setUpWithError() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models/tiny-peaked")
        var files: [String: Data] = [:]
        for file in HubDownloader.modelFiles { files[file] = try Data(contentsOf: folder.appendingPathComponent(file)) }
        server = try LoopbackHubServer(repo: repo, files: files)
        cache = FileManager.default.temporaryDirectory.appendingPathComponent("pull-\(UUID().uuidString)", isDirectory: true)
    }

    override func tearDown() {
        server?.stop()
        if let cache { try? FileManager.default.removeItem(at: cache) }
    }

    /// The built `attn` next to the test bundle.
    private func attn() throws -> URL { try BuiltProducts.executable("attn") }

    /// Runs `attn` with the loopback hub as `HF_ENDPOINT` and a temporary hub cache.
    private func run(_ arguments: [String], endpoint: String) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = try attn()
        process.arguments = arguments + ["--no-history"]
        var env = ProcessInfo.processInfo.environment
        env["HF_ENDPOINT"] = endpoint
        env["HF_HUB_CACHE"] = cache.path
        env["XDG_RUNTIME_DIR"] = cache.path   // no shared daemon socket here
        env.removeValue(forKey: "ATTND_SOCKET")
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testPullDownloadsIntoTheHubCacheAndLoads() throws {
        let first = try run(["model", "pull", repo, "--json"], endpoint: server.endpoint.absoluteString)
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertTrue(first.out.contains("\"nLayer\":2"), first.out)
        let snapshot = cache.appendingPathComponent("models--fixtures--tiny-peaked/snapshots/\(LoopbackHubServer.commit)")
        for file in HubDownloader.modelFiles {
            XCTAssertTrue(FileManager.default.fileExists(atPath: snapshot.appendingPathComponent(file).path), file)
        }
        let downloads = server.requests.filter { $0.method == "GET" }.count
        XCTAssertEqual(downloads, HubDownloader.modelFiles.count)

        let second = try run(["model", "pull", repo, "--json"], endpoint: server.endpoint.absoluteString)
        XCTAssertEqual(second.status, 0, second.err)
        XCTAssertEqual(server.requests.filter { $0.method == "GET" }.count, downloads, "the cached model is not fetched again")
    }

    func testPullFromAnUnreachableEndpointFailsWithOneLine() throws {
        server.stop()
        let r = try run(["model", "pull", "nobody/nothing"], endpoint: "http://127.0.0.1:9")
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains("-32008"), r.err)
        XCTAssertEqual(r.err.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count, 1, r.err)
    }
}
