import Foundation
import XCTest
@testable import AttnServer

/// The `exportPath` rules and the writer's failure paths, on the file system, without a daemon.
final class ExportDestinationTests: XCTestCase {
    private var folder: URL!
    private var real: String!

    override func setUpWithError() throws {
        folder = try DaemonSupport.temporaryFolder()
        real = try XCTUnwrap(ExportDestination.realPath(folder.path))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: folder)
    }

    private func failure(_ path: String, exportFolder: String? = nil, overwrite: Bool = true,
                         file: StaticString = #filePath, line: UInt = #line) -> ExportDestination.Failure? {
        do {
            let d = try ExportDestination.resolve(path, exportFolder: exportFolder, overwrite: overwrite)
            XCTFail("accepted \(path) as \(d.path)", file: file, line: line)
        } catch let f as ExportDestination.Failure {
            return f
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
        return nil
    }

    func testWhatStandsThereIsNamedAndNeverReplaced() throws {
        let dir = folder.appendingPathComponent("adir").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let fifo = folder.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let link = folder.appendingPathComponent("link").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/etc/hostname")
        let dangling = folder.appendingPathComponent("dangling").path
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: folder.appendingPathComponent("nothing").path)
        let cases: [(String, String)] = [(dir, "a directory"), (fifo, "a FIFO"), (link, "a symbolic link"),
                                         (dangling, "a symbolic link"), ("/dev/full", "a character device"),
                                         ("/dev/null", "a character device")]
        for (path, what) in cases {
            XCTAssertEqual(failure(path), .notReplaceable(path: path, what: what), path)
            let error = failure(path)?.rpcError
            XCTAssertEqual(error?.code, .exportFailed, path)
            XCTAssertEqual(error?.data?["reason"], .string("\(what) is there"), path)
            XCTAssertEqual(error?.data?["path"], .string(path), path)
        }
    }

    func testRegularFileNeedsOverwrite() throws {
        let file = folder.appendingPathComponent("a.npy").path
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("old".utf8)))
        XCTAssertEqual(failure(file, overwrite: false), .exists(file))
        XCTAssertEqual(try ExportDestination.resolve(file, exportFolder: nil, overwrite: true).path, file)
        XCTAssertEqual(try ExportDestination.resolve(folder.appendingPathComponent("new.npy").path, exportFolder: nil,
                                                     overwrite: false).folder, folder.path)
    }

    func testWithoutExportFolderPathsMustBeAbsolute() {
        XCTAssertEqual(failure("a.npy"), .relativePath("a.npy"))
        XCTAssertEqual(failure(folder.path + "/missing/a.npy"), .missingFolder(folder.path + "/missing"))
        XCTAssertEqual(failure(folder.path + "/"), .notAFileName(folder.path + "/"))
        XCTAssertEqual(failure(folder.path + "/."), .notAFileName(folder.path + "/."))
    }

    func testExportFolderResolvesRelativePathsAndKeepsEverythingInside() throws {
        let inside = folder.appendingPathComponent("exports")
        try FileManager.default.createDirectory(at: inside.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let dir = real + "/exports"
        XCTAssertEqual(try ExportDestination.resolve("a.npy", exportFolder: dir, overwrite: false).path, dir + "/a.npy")
        XCTAssertEqual(try ExportDestination.resolve("sub/a.npy", exportFolder: dir, overwrite: false).path, dir + "/sub/a.npy")
        XCTAssertEqual(try ExportDestination.resolve(dir + "/sub/a.npy", exportFolder: dir, overwrite: false).folder, dir + "/sub")
        // Outside: an absolute path elsewhere, the sibling with a common prefix, and a symbolic
        // link inside the folder that points out of it.
        XCTAssertEqual(failure(real + "/a.npy", exportFolder: dir), .outsideExportFolder(path: real + "/a.npy", exportFolder: dir))
        try FileManager.default.createDirectory(atPath: real + "/exports-other", withIntermediateDirectories: false)
        XCTAssertEqual(failure(real + "/exports-other/a.npy", exportFolder: dir),
                       .outsideExportFolder(path: real + "/exports-other/a.npy", exportFolder: dir))
        try FileManager.default.createSymbolicLink(atPath: dir + "/escape", withDestinationPath: real)
        XCTAssertEqual(failure("escape/a.npy", exportFolder: dir), .outsideExportFolder(path: "escape/a.npy", exportFolder: dir))
        XCTAssertEqual(failure("escape/a.npy", exportFolder: dir)?.rpcError.data?["field"], "exportPath")
        XCTAssertEqual(failure("missing/a.npy", exportFolder: dir), .missingFolder(dir + "/missing"))
    }

    func testExportDirectoryFlagMustBeAnExistingFolder() throws {
        XCTAssertEqual(try ServerConfiguration.resolveExportDirectory(folder.path + "/./"), real)
        XCTAssertThrowsError(try ServerConfiguration.resolveExportDirectory(folder.path + "/missing"))
        XCTAssertTrue(FileManager.default.createFile(atPath: folder.path + "/file", contents: nil))
        XCTAssertThrowsError(try ServerConfiguration.resolveExportDirectory(folder.path + "/file"))
    }

    /// A full disk is an error: `write(2)` to /dev/full fails with ENOSPC, and `writeAll` says so.
    func testFullDiskWriteIsAnError() throws {
        let fd = open("/dev/full", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw XCTSkip("/dev/full is not available") }
        defer { close(fd) }
        let bytes = [UInt8](repeating: 7, count: 4096)
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try NpyWriter.writeAll(fd, $0) }) { error in
            XCTAssertEqual(error as? NpyWriter.WriteFailure, NpyWriter.WriteFailure(reason: String(cString: strerror(ENOSPC))))
        }
    }

    /// The writer leaves nothing but the finished file, and an abandoned export leaves nothing.
    func testWriterRenamesIntoPlaceAndAbandonLeavesNoFile() throws {
        let path = folder.appendingPathComponent("t.npy").path
        let values: [Float] = [1, 2, 3, 4]
        let writer = try NpyWriter(destination: ExportDestination.resolve(path, exportFolder: nil, overwrite: false),
                                   shape: [2, 2], overwrite: false)
        try values.withUnsafeBufferPointer { try writer.append($0) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).count, 1, "only the temporary file")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        try writer.finish()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["t.npy"])
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(data.count, 128 + 16, "a 128-byte header, then 4 float32")
        XCTAssertEqual(Array(data.suffix(16)), values.withUnsafeBytes { Array($0) })

        let other = try NpyWriter(destination: ExportDestination.resolve(folder.path + "/u.npy", exportFolder: nil, overwrite: false),
                                  shape: [4], overwrite: false)
        other.abandon()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["t.npy"])
    }

    /// A file that appears at the path while the export runs is not replaced without `overwrite`,
    /// and a directory that appears is never replaced.
    func testDestinationThatAppearsMeanwhileIsNotReplaced() throws {
        let path = folder.appendingPathComponent("race.npy").path
        for (overwrite, makeObstacle, expected) in [
            (false, { XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("mine".utf8))) },
             ExportDestination.Failure.exists(path)),
            (true, { try? FileManager.default.removeItem(atPath: path)
                     try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false) },
             ExportDestination.Failure.notReplaceable(path: path, what: "a directory")),
        ] as [(Bool, () -> Void, ExportDestination.Failure)] {
            try? FileManager.default.removeItem(atPath: path)
            let writer = try NpyWriter(destination: ExportDestination.resolve(path, exportFolder: nil, overwrite: overwrite),
                                       shape: [1], overwrite: overwrite)
            try [Float(1)].withUnsafeBufferPointer { try writer.append($0) }
            makeObstacle()
            XCTAssertThrowsError(try writer.finish()) { XCTAssertEqual($0 as? ExportDestination.Failure, expected) }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["race.npy"], "no temporary file left")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path), [], "the directory is still there")
    }
}
