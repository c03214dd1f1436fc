import Foundation
import JSONRPC
import XCTest

/// The folder, socket-file and peer checks of `SocketFolder`, on real folders. The cases that
/// need a folder owned by another user chown it to `nobody` (uid 65534) and so run as root (as
/// CI does); elsewhere they report a skip.
final class SocketFolderTests: XCTestCase {
    private var base: String!

    override func setUpWithError() throws {
        base = NSTemporaryDirectory() + "socket-folder-\(UUID().uuidString)"
        XCTAssertEqual(mkdir(base, 0o700), 0)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: base)
    }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info.st_mode & 0o7777
    }

    func testPrepareCreatesMissingFoldersPrivateWhateverTheUmask() throws {
        let socket = base + "/a/b/attnd.sock"
        let previous = umask(0)
        defer { umask(previous) }
        try SocketFolder.prepare(forSocket: socket)
        XCTAssertEqual(mode(base + "/a"), 0o700)
        XCTAssertEqual(mode(base + "/a/b"), 0o700)
    }

    func testPrepareKeepsAnExistingPrivateFolderAsItIs() throws {
        let folder = base + "/mine"
        XCTAssertEqual(mkdir(folder, 0o755), 0)
        chmod(folder, 0o755)
        try SocketFolder.prepare(forSocket: folder + "/attnd.sock")
        XCTAssertEqual(mode(folder), 0o755, "a folder only we can write is accepted, not rewritten")
    }

    func testFolderWritableByOthersIsRefused() throws {
        let folder = base + "/open"
        XCTAssertEqual(mkdir(folder, 0o700), 0)
        chmod(folder, 0o1777)
        XCTAssertThrowsError(try SocketFolder.prepare(forSocket: folder + "/attnd.sock")) { error in
            XCTAssertEqual(error as? SocketFolder.Failure, .writableByOthers(folder: folder, mode: UInt32(S_IFDIR) | 0o1777))
            XCTAssertTrue("\(error)".contains("1777"), "\(error)")
        }
        XCTAssertThrowsError(try SocketFolder.verifyBeforeConnecting(socketPath: folder + "/attnd.sock"))
        XCTAssertThrowsError(try SocketFolder.verify(folder: "/tmp"), "/tmp itself is world-writable")
    }

    func testSymlinkedFolderIsRefused() throws {
        let real = base + "/real"
        let link = base + "/link"
        XCTAssertEqual(mkdir(real, 0o700), 0)
        XCTAssertEqual(symlink(real, link), 0)
        XCTAssertThrowsError(try SocketFolder.prepare(forSocket: link + "/attnd.sock")) { error in
            XCTAssertEqual(error as? SocketFolder.Failure, .symlink(folder: link))
        }
    }

    func testFolderOfAnotherUserIsRefusedByDaemonAndClient() throws {
        try XCTSkipUnless(geteuid() == 0, "needs root to chown a folder to another uid (CI runs as root)")
        let folder = base + "/squatted"
        XCTAssertEqual(mkdir(folder, 0o700), 0)
        XCTAssertEqual(chown(folder, 65534, 65534), 0)
        XCTAssertThrowsError(try SocketFolder.prepare(forSocket: folder + "/attnd.sock")) { error in
            XCTAssertEqual(error as? SocketFolder.Failure, .foreignOwner(folder: folder, owner: 65534, expected: 0))
            XCTAssertTrue("\(error)".contains("uid 65534"), "\(error)")
            XCTAssertTrue("\(error)".contains(folder), "\(error)")
        }
        XCTAssertThrowsError(try SocketFolder.verifyBeforeConnecting(socketPath: folder + "/attnd.sock"))
    }

    func testSocketFileOfAnotherUserIsRefusedBeforeConnecting() throws {
        try XCTSkipUnless(geteuid() == 0, "needs root to chown a socket to another uid (CI runs as root)")
        let socket = base + "/attnd.sock"
        let fd = try UnixSocket.listen(path: socket)
        defer { close(fd) }
        XCTAssertEqual(chown(socket, 65534, 65534), 0)
        XCTAssertThrowsError(try RPCClient.connect(socketPath: socket)) { error in
            XCTAssertEqual(error as? SocketFolder.Failure, .foreignSocket(path: socket, owner: 65534, expected: 0))
        }
    }

    func testMissingFolderPassesTheClientCheckSoConnectReportsIt() throws {
        XCTAssertNoThrow(try SocketFolder.verifyBeforeConnecting(socketPath: base + "/absent/attnd.sock"))
        XCTAssertThrowsError(try RPCClient.connect(socketPath: base + "/absent/attnd.sock")) { error in
            XCTAssertTrue(error is UnixSocket.Failure, "\(error)")
        }
    }

    func testPeerUIDIsOurOwnOnASocketPair() throws {
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        XCTAssertEqual(SocketFolder.peerUID(of: fds[0]), UInt32(geteuid()))
        XCTAssertNoThrow(try SocketFolder.verifyPeer(of: fds[1], socketPath: "pair"))
        XCTAssertNil(SocketFolder.peerUID(of: -1))
    }

    func testAcceptBackoffDoublesToTwoSecondsAndLogsOncePerStreak() {
        struct Failure: Error {}
        var backoff = AcceptBackoff()
        XCTAssertNotNil(backoff.failed(Failure()), "the first failure of a streak is logged")
        XCTAssertEqual(backoff.delayMicroseconds, 50_000)
        var logged = 0
        for _ in 0..<20 where backoff.failed(Failure()) != nil { logged += 1 }
        XCTAssertEqual(logged, 0, "later failures of the streak are not logged")
        XCTAssertEqual(backoff.delayMicroseconds, 2_000_000, "capped at 2 s")
        XCTAssertEqual(backoff.succeeded(), "accept works again after 21 failed tries")
        XCTAssertEqual(backoff.delayMicroseconds, 0)
        XCTAssertNil(backoff.succeeded())
        XCTAssertNotNil(backoff.failed(Failure()), "a new streak is logged again")
        XCTAssertEqual(backoff.delayMicroseconds, 50_000)
    }
}
