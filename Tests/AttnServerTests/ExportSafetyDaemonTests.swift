import Foundation
import JSONRPC
import XCTest

/// Issue 18 item 2 on the real `attnd`: an export never destroys what stands at its path, path
/// params refuse NUL bytes and `..` segments, `--export-dir` keeps exports inside one folder, and
/// a full disk (here a file-size limit) is an error with nothing left behind.
final class ExportSafetyDaemonTests: XCTestCase {
    private var folder: URL!
    private var clients: [RPCClient] = []

    override func setUpWithError() throws {
        folder = try DaemonSupport.temporaryFolder()
    }

    override func tearDown() {
        clients.forEach(DaemonSupport.stop)
        try? FileManager.default.removeItem(at: folder)
    }

    private func daemon(_ extra: [String] = []) throws -> RPCClient {
        let client = try DaemonSupport.spawn(["--no-history", "--model", DaemonSupport.model("tiny-peaked")] + extra)
        clients.append(client)
        return client
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func export(_ client: RPCClient, _ exportPath: String, overwrite: Bool = true, tokens: Int = 3,
                        file: StaticString = #filePath, line: UInt = #line) -> RPCError? {
        DaemonSupport.error(client, "profileAttention",
                            ["tokens": .array((0..<tokens).map { .int(Int64($0 % 250 + 1)) }), "exportPath": .string(exportPath),
                             "overwrite": .bool(overwrite)], file: file, line: line)
    }

    private func fileType(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    /// A directory, a FIFO and a symbolic link at the path survive `overwrite: true` (the
    /// directory used to be deleted, the FIFO replaced); each is -32006 naming what is there.
    func testNothingButARegularFileIsReplaced() throws {
        let client = try daemon()
        let dir = path("keep-dir")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/inside.txt", contents: Data("precious".utf8)))
        let fifo = path("fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let target = path("target.txt")
        XCTAssertTrue(FileManager.default.createFile(atPath: target, contents: Data("target".utf8)))
        let link = path("link.npy")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)

        for (p, what, type) in [(dir, "a directory", S_IFDIR), (fifo, "a FIFO", S_IFIFO), (link, "a symbolic link", S_IFLNK)] {
            let e = export(client, p)
            XCTAssertEqual(e?.code, .exportFailed, p)
            XCTAssertEqual(e?.data?["path"], .string(p))
            XCTAssertEqual(e?.data?["reason"], .string("\(what) is there"))
            XCTAssertTrue(e?.message.contains(what) == true, e?.message ?? "")
            XCTAssertEqual(fileType(p), type, "\(p) is still \(what)")
        }
        XCTAssertEqual(try String(contentsOfFile: dir + "/inside.txt", encoding: .utf8), "precious")
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "target")
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)),
                       ["keep-dir", "fifo", "target.txt", "link.npy"], "no temporary file left")
        // A regular file is still replaced with overwrite.
        XCTAssertTrue(FileManager.default.createFile(atPath: path("old.npy"), contents: Data("old".utf8)))
        let r = try client.request("profileAttention", params: ["tokens": [1, 2, 3], "exportPath": .string(path("old.npy")), "overwrite": true])
        XCTAssertEqual(r["exported"]?["bytes"]?.intValue, try Data(contentsOf: URL(fileURLWithPath: path("old.npy"))).count)
    }

    /// A NUL byte used to cut the path (`keep.txt\u0000.npy` overwrote `keep.txt`); a `..`
    /// segment used to be followed. Both are -32602 on the field, for exports and model paths.
    func testNulBytesAndDotDotSegmentsAreRefusedInEveryPathParam() throws {
        let client = try daemon()
        let keep = path("keep.txt")
        XCTAssertTrue(FileManager.default.createFile(atPath: keep, contents: Data("keep".utf8)))
        try FileManager.default.createDirectory(atPath: path("sub"), withIntermediateDirectories: false)
        let cases: [(String, JSONValue, String, String)] = [
            ("profileAttention", ["tokens": [1, 2], "exportPath": .string(keep + "\u{0}.npy"), "overwrite": true],
             "exportPath", "a path without NUL bytes"),
            ("profileAttention", ["tokens": [1, 2], "exportPath": .string(path("sub") + "/../a.npy")],
             "exportPath", "a path without `..` segments"),
            ("model/load", ["path": .string(DaemonSupport.model("tiny-peaked") + "/../tiny-peaked")], "path", "a path without `..` segments"),
            ("model/load", ["path": .string(DaemonSupport.model("tiny-peaked") + "\u{0}x")], "path", "a path without NUL bytes"),
            ("model/load", ["name": "../../models/tiny-peaked"], "name", "a path without `..` segments"),
            ("model/load", ["name": "gpt2\u{0}"], "name", "a path without NUL bytes"),
        ]
        for (method, params, field, accepted) in cases {
            let e = DaemonSupport.error(client, method, params)
            XCTAssertEqual(e?.code, .invalidParams, "\(method) \(params)")
            XCTAssertEqual(e?.data?["field"], .string(field), "\(method) \(params)")
            XCTAssertEqual(e?.data?["accepted"], .string(accepted), "\(method) \(params)")
        }
        XCTAssertEqual(try String(contentsOfFile: keep, encoding: .utf8), "keep")
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)), ["keep.txt", "sub"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("a.npy")))

        // initialize's model names the nested field.
        let fresh = try RPCClient.spawn(executable: DaemonSupport.attnd(), arguments: ["--stdio", "--log-level", "error", "--no-history"],
                                        stderr: FileHandle(forWritingAtPath: "/dev/null"))
        clients.append(fresh)
        let e = DaemonSupport.error(fresh, "initialize", ["model": ["path": .string(DaemonSupport.model("tiny-peaked") + "/../tiny-peaked")]])
        XCTAssertEqual(e?.data?["field"], "model.path")
        _ = try fresh.request("initialize")
    }

    /// `--export-dir`: relative paths land inside it, absolute ones must be inside it, and a
    /// symbolic link inside it cannot lead out.
    func testExportDirKeepsExportsInside() throws {
        let exports = folder.appendingPathComponent("exports")
        try FileManager.default.createDirectory(at: exports.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: exports.path + "/out", withDestinationPath: folder.path)
        let client = try daemon(["--export-dir", exports.path])
        let real = try XCTUnwrap(URL(fileURLWithPath: exports.path).resolvingSymlinksInPath().path)

        let r = try client.request("profileAttention", params: ["tokens": [1, 2, 3], "exportPath": "sub/a.npy"])
        XCTAssertEqual(r["exported"]?["path"], .string(real + "/sub/a.npy"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: exports.path + "/sub/a.npy"))
        _ = try client.request("profileAttention", params: ["tokens": [1, 2, 3], "exportPath": .string(exports.path + "/b.npy")])
        XCTAssertTrue(FileManager.default.fileExists(atPath: exports.path + "/b.npy"))

        for outside in [path("c.npy"), "out/c.npy", "/c.npy"] {
            let e = export(client, outside, overwrite: false)
            XCTAssertEqual(e?.code, .invalidParams, outside)
            XCTAssertEqual(e?.data?["field"], "exportPath", outside)
            XCTAssertEqual(e?.data?["accepted"], .string("a path inside the export folder \(real)"), outside)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("c.npy")))
    }

    /// Bad path flags: `..` in `--db`, `--model` or `--export-dir` is a usage error (64); an
    /// `--export-dir` that is not a folder is a start-up failure (2).
    func testPathFlagsAreChecked() throws {
        let cases: [([String], Int32)] = [
            (["--db", folder.path + "/x/../runs.sqlite"], 64),
            (["--model", DaemonSupport.model("tiny-peaked") + "/../tiny-peaked"], 64),
            (["--export-dir", folder.path + "/../x"], 64),
            (["--export-dir", folder.path + "/missing"], 2),
        ]
        for (flags, expected) in cases {
            let process = Process()
            process.executableURL = try DaemonSupport.attnd()
            process.arguments = ["--stdio", "--no-history"] + flags
            process.standardInput = Pipe()
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, expected, "\(flags)")
        }
    }

    /// A full disk is an error, never a success: with a 16 KiB file-size limit (RLIMIT_FSIZE,
    /// inherited by the daemon; no root needed) an 80 KB export fails with -32006 naming the
    /// cause, leaves no file, and the daemon serves on.
    func testFileSizeLimitIsAnExportFailure() throws {
        let client = try DaemonSupport.withFileSizeLimit(16 << 10) { try daemon() }
        let target = path("big.npy")
        // (2 layers, 4 heads, 100, 100) float32 = 320,000 bytes.
        let e = export(client, target, overwrite: false, tokens: 100)
        XCTAssertEqual(e?.code, .exportFailed)
        XCTAssertEqual(e?.data?["path"], .string(target))
        XCTAssertEqual(e?.data?["reason"], .string(String(cString: strerror(EFBIG))))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "no partial file")
        // Small enough to fit: (2, 4, 10, 10) = 3,200 bytes.
        let r = try client.request("profileAttention", params: ["tokens": .array((1...10).map { .int($0) }), "exportPath": .string(target)])
        XCTAssertEqual(r["exported"]?["bytes"]?.intValue, try Data(contentsOf: URL(fileURLWithPath: target)).count)
    }
}
