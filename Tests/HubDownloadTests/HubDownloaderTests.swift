import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import HubDownload

/// Downloads from `LoopbackHubServer` (127.0.0.1 only) serving the tiny-peaked fixture model.
final class HubDownloaderTests: XCTestCase {
    private let repo = "fixtures/tiny-peaked"
    private var server: LoopbackHubServer!
    private var cache: URL!
    private var fixtures: [String: Data] = [:]

    override func setUpWithError() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models/tiny-peaked")
        for file in HubDownloader.modelFiles {
            fixtures[file] = try Data(contentsOf: folder.appendingPathComponent(file))
        }
        server = try LoopbackHubServer(repo: repo, files: fixtures)
        cache = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID().uuidString)", isDirectory: true)
    }

    override func tearDown() {
        server?.stop()
        if let cache { try? FileManager.default.removeItem(at: cache) }
    }

    private var downloader: HubDownloader {
        var downloader = HubDownloader(endpoint: server.endpoint, cacheRoot: cache)
        downloader.timeout = 10
        return downloader
    }

    private var repoFolder: URL { cache.appendingPathComponent("models--fixtures--tiny-peaked") }

    private func blobFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: repoFolder.appendingPathComponent("blobs").path).sorted()
    }

    func testDownloadBuildsTheHubCacheLayout() throws {
        let progressLock = NSLock()
        var lastProgress: [String: (Int64, Int64?)] = [:]
        let snapshot = try downloader.download(repo: repo) { file, done, total in
            progressLock.lock()
            lastProgress[file] = (done, total)
            progressLock.unlock()
        }
        XCTAssertEqual(snapshot.path, repoFolder.appendingPathComponent("snapshots/\(LoopbackHubServer.commit)").path)
        let ref = try String(contentsOf: repoFolder.appendingPathComponent("refs/main"), encoding: .utf8)
        XCTAssertEqual(ref, LoopbackHubServer.commit)
        for file in HubDownloader.modelFiles {
            let content = try XCTUnwrap(fixtures[file])
            let link = snapshot.appendingPathComponent(file)
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: link.path)
            XCTAssertEqual(target, "../../blobs/\(LoopbackHubServer.etag(of: content))", file)
            XCTAssertEqual(try Data(contentsOf: link), content, file)
            XCTAssertEqual(lastProgress[file]?.0, Int64(content.count), file)
            XCTAssertEqual(lastProgress[file]?.1, Int64(content.count), file)
        }
        let blobs = try blobFiles()
        XCTAssertEqual(blobs.count, 4)
        XCTAssertFalse(blobs.contains { $0.hasSuffix(".incomplete") }, "\(blobs)")
    }

    func testResumesACutDownloadWithARangeRequest() throws {
        let cutAt = 100_000
        let model = try XCTUnwrap(fixtures["model.safetensors"])
        XCTAssertGreaterThan(model.count, cutAt)
        server.cut("model.safetensors", afterBytes: cutAt)
        XCTAssertThrowsError(try downloader.download(repo: repo, files: ["model.safetensors"])) { error in
            XCTAssertEqual(error as? HubDownloadError,
                           .incomplete(file: "model.safetensors", receivedBytes: Int64(cutAt), expectedBytes: Int64(model.count)))
        }
        let blob = LoopbackHubServer.etag(of: model)
        let partial = repoFolder.appendingPathComponent("blobs/\(blob).incomplete")
        XCTAssertEqual(try Data(contentsOf: partial), model.prefix(cutAt))
        XCTAssertFalse(FileManager.default.fileExists(atPath: repoFolder.appendingPathComponent("blobs/\(blob)").path))

        let snapshot = try downloader.download(repo: repo, files: ["model.safetensors"])
        XCTAssertEqual(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")), model)
        let gets = server.requests.filter { $0.method == "GET" }
        XCTAssertEqual(gets.map(\.range), [nil, "bytes=\(cutAt)-"])
        XCTAssertEqual(try blobFiles(), [blob], "the .incomplete file was renamed, not copied")
    }

    func testRestartsWhenTheServerIgnoresTheRange() throws {
        let vocab = try XCTUnwrap(fixtures["vocab.json"])
        let blob = LoopbackHubServer.etag(of: vocab)
        try FileManager.default.createDirectory(at: repoFolder.appendingPathComponent("blobs"), withIntermediateDirectories: true)
        try Data("stale partial bytes".utf8).write(to: repoFolder.appendingPathComponent("blobs/\(blob).incomplete"))
        server.setIgnoresRange(true)
        let snapshot = try downloader.download(repo: repo, files: ["vocab.json"])
        XCTAssertEqual(server.requests.filter { $0.method == "GET" }.map(\.range), ["bytes=19-"])
        XCTAssertEqual(try Data(contentsOf: snapshot.appendingPathComponent("vocab.json")), vocab)
    }

    func testACancelEndsATricklingDownloadWithin200ms() throws {
        // One byte every 50 ms: without the watchdog this body takes hours.
        server.trickle("model.safetensors", bytes: 1, every: 0.05)
        let flag = CancelFlag()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { flag.set() }
        let start = Date()
        XCTAssertThrowsError(try downloader.download(repo: repo, files: ["model.safetensors"], isCancelled: { flag.isSet })) { error in
            XCTAssertEqual(error as? HubDownloadError, .cancelled(file: "model.safetensors"))
        }
        let cancelledAfter = Date().timeIntervalSince(start) - 0.5
        XCTAssertLessThan(cancelledAfter, 0.2, "the download ended \(cancelledAfter) s after the cancel")
        let partial = repoFolder.appendingPathComponent("blobs/\(LoopbackHubServer.etag(of: fixtures["model.safetensors"]!)).incomplete")
        XCTAssertTrue(FileManager.default.fileExists(atPath: partial.path), "the partial file is kept for resuming")
    }

    func testATricklingServerIsEndedAsStalled() throws {
        // 10 bytes every 100 ms is 100 B/s, under the 1 KiB-per-window rule with a 0.5 s window.
        server.trickle("model.safetensors", bytes: 10, every: 0.1)
        var slow = downloader
        slow.stallSeconds = 0.5
        let start = Date()
        XCTAssertThrowsError(try slow.download(repo: repo, files: ["model.safetensors"])) { error in
            guard case .stalled(let file, let received, let minimum, let seconds)? = error as? HubDownloadError else {
                return XCTFail("expected stalled, got \(error)")
            }
            XCTAssertEqual(file, "model.safetensors")
            XCTAssertEqual(minimum, 1024)
            XCTAssertEqual(seconds, 0.5)
            XCTAssertLessThan(received, 1024)
            XCTAssertTrue("\(error)".contains("stalled"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 3, "ended after about one window, not the 60 s request timeout")
    }

    func testAFastServerIsNotStalled() throws {
        var strict = downloader
        strict.stallSeconds = 0.3
        let snapshot = try strict.download(repo: repo)
        XCTAssertEqual(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")), fixtures["model.safetensors"])
    }

    func testSecondDownloadReusesBlobs() throws {
        try downloader.download(repo: repo)
        let before = server.requests.filter { $0.method == "GET" }.count
        try downloader.download(repo: repo)
        XCTAssertEqual(before, 4)
        XCTAssertEqual(server.requests.filter { $0.method == "GET" }.count, before, "no body fetched twice")
    }

    func testMissingFileNamesTheFileAndRepository() {
        XCTAssertThrowsError(try downloader.download(repo: repo, files: ["missing.json"])) { error in
            guard case .notFound(let repo, let file, let revision, _)? = error as? HubDownloadError else {
                return XCTFail("expected notFound, got \(error)")
            }
            XCTAssertEqual([repo, file, revision], [self.repo, "missing.json", "main"])
            XCTAssertTrue("\(error)".contains("missing.json") && "\(error)".contains(self.repo), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: repoFolder.appendingPathComponent("snapshots").path))
    }

    func testUnknownRepositoryIsNotFound() {
        XCTAssertThrowsError(try downloader.download(repo: "nobody/nothing", files: ["config.json"])) { error in
            guard case .notFound(let repo, _, _, _)? = error as? HubDownloadError else {
                return XCTFail("expected notFound, got \(error)")
            }
            XCTAssertEqual(repo, "nobody/nothing")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("models--nobody--nothing").path),
                       "a failed first pull leaves no empty cache folder behind")
    }

    func testConnectionRefusedNamesTheEndpointAndHFEndpoint() throws {
        let port = try Self.closedLoopbackPort()
        var refused = HubDownloader(endpoint: URL(string: "http://127.0.0.1:\(port)")!, cacheRoot: cache)
        refused.timeout = 5
        XCTAssertThrowsError(try refused.download(repo: repo, files: ["config.json"])) { error in
            guard case .unreachable(let endpoint, _)? = error as? HubDownloadError else {
                return XCTFail("expected unreachable, got \(error)")
            }
            XCTAssertEqual(endpoint, "http://127.0.0.1:\(port)")
            XCTAssertTrue("\(error)".contains("HF_ENDPOINT"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: repoFolder.path), "nothing left in the cache")
    }

    func testUnwritableCacheIsADiskError() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-folder-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let blocked = HubDownloader(endpoint: server.endpoint, cacheRoot: file.appendingPathComponent("hub"))
        XCTAssertThrowsError(try blocked.download(repo: repo, files: ["config.json"])) { error in
            guard case .disk(let path, _)? = error as? HubDownloadError else { return XCTFail("expected disk, got \(error)") }
            XCTAssertTrue(path.hasPrefix(file.path), path)
        }
    }

    /// A loopback port nobody listens on: bound, read, then closed.
    private static func closedLoopbackPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// A flag set from one thread and read from another.
private final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
