import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A framed JSON-RPC byte stream over file descriptors (a pipe pair, stdio, or one socket).
///
/// Threading: `start` spawns one reader thread that reads, frames and delivers events in
/// order; `send` may be called from any thread and writes each frame whole under a lock, so
/// frames never interleave. `close` may be called from any thread, any number of times.
///
/// Descriptors are closed once both the reader has stopped and `close()` was called. Writing
/// to a vanished peer returns `false` (SIGPIPE is ignored process-wide on first use, since a
/// peer that disappears must be an error, not the end of the process).
public final class Connection: @unchecked Sendable {
    public let readFD: Int32
    public let writeFD: Int32
    public let maxMessageBytes: Int
    /// A name for logs ("stdio", "socket client 3").
    public let label: String

    private let lock = NSLock()
    private let writeLock = NSLock()
    private var wakeFDs: [Int32] = [-1, -1]
    private var started = false
    private var readerDone = false
    private var closeRequested = false
    private var descriptorsClosed = false
    private var writeBroken = false

    /// - Parameter readFD/writeFD: may be the same descriptor (a socket). The connection owns
    ///   them and closes them.
    public init(readFD: Int32, writeFD: Int32, maxMessageBytes: Int = MessageFramer.defaultMaxMessageBytes, label: String = "connection") {
        Connection.ignoreSIGPIPE()
        self.readFD = readFD
        self.writeFD = writeFD
        self.maxMessageBytes = maxMessageBytes
        self.label = label
        var fds: [Int32] = [-1, -1]
        if makePipe(&fds) { wakeFDs = fds }
    }

    private static let sigpipeOnce: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    /// Ignores SIGPIPE for the whole process (idempotent).
    public static func ignoreSIGPIPE() {
        _ = sigpipeOnce
    }

    /// Two connected in-process connections over two pipes (for tests and embedding).
    public static func pipePair(maxMessageBytes: Int = MessageFramer.defaultMaxMessageBytes) throws -> (Connection, Connection) {
        var aToB: [Int32] = [-1, -1]
        var bToA: [Int32] = [-1, -1]
        guard makePipe(&aToB) else { throw POSIXError.current() }
        guard makePipe(&bToA) else {
            Glibc.close(aToB[0]); Glibc.close(aToB[1])
            throw POSIXError.current()
        }
        let a = Connection(readFD: bToA[0], writeFD: aToB[1], maxMessageBytes: maxMessageBytes, label: "pipe A")
        let b = Connection(readFD: aToB[0], writeFD: bToA[1], maxMessageBytes: maxMessageBytes, label: "pipe B")
        return (a, b)
    }

    /// Starts the reader thread.
    ///
    /// - Parameters:
    ///   - onEvent: called on the reader thread for each framing event, in stream order.
    ///   - onEnd: called once on the reader thread when input ends (EOF, read error, or `close()`).
    public func start(onEvent: @escaping (FramerEvent) -> Void, onEnd: @escaping () -> Void) {
        lock.lock()
        guard !started else { lock.unlock(); return }
        started = true
        lock.unlock()
        let thread = Thread { [self] in
            readLoop(onEvent: onEvent)
            onEnd()
            lock.lock()
            readerDone = true
            lock.unlock()
            closeDescriptorsIfFinished()
        }
        thread.name = "jsonrpc-reader \(label)"
        thread.stackSize = 4 << 20
        thread.start()
    }

    private func readLoop(onEvent: (FramerEvent) -> Void) {
        var framer = MessageFramer(maxMessageBytes: maxMessageBytes)
        let capacity = 64 << 10
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var polled = [pollfd(fd: readFD, events: Int16(POLLIN), revents: 0),
                      pollfd(fd: wakeFDs[0], events: Int16(POLLIN), revents: 0)]
        while true {
            polled[0].revents = 0
            polled[1].revents = 0
            let ready = poll(&polled, nfds_t(wakeFDs[0] >= 0 ? 2 : 1), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if polled[1].revents != 0 { return }
            if polled[0].revents == 0 { continue }
            let count = read(readFD, buffer, capacity)
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            if count == 0 { return }
            for event in framer.consume(UnsafeRawBufferPointer(start: buffer, count: count)) {
                onEvent(event)
            }
        }
    }

    /// Frames and writes one message body; `false` when the connection is closed or the peer is gone.
    @discardableResult
    public func send(body: Data) -> Bool {
        let frame = MessageFramer.frame(body)
        writeLock.lock()
        defer { writeLock.unlock() }
        lock.lock()
        let usable = !closeRequested && !writeBroken
        lock.unlock()
        guard usable else { return false }
        let ok = frame.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let written = write(writeFD, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN {
                        var waiting = pollfd(fd: writeFD, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&waiting, 1, 100)
                        continue
                    }
                    return false
                }
                offset += written
            }
            return true
        }
        if !ok {
            lock.lock()
            writeBroken = true
            lock.unlock()
        }
        return ok
    }

    @discardableResult
    public func send(_ value: JSONValue) -> Bool {
        send(body: JSONWriter.data(value))
    }

    @discardableResult
    public func send(_ message: RPCMessage) -> Bool {
        send(message.jsonValue)
    }

    /// True once `close()` was called or a write failed.
    public var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closeRequested || writeBroken
    }

    /// Stops reading (the reader thread wakes and calls `onEnd`), refuses further sends, and
    /// closes the descriptors once the reader has stopped.
    public func close() {
        writeLock.lock()  // wait for a frame being written to finish
        lock.lock()
        let first = !closeRequested
        closeRequested = true
        let wasStarted = started
        if !wasStarted { readerDone = true }
        lock.unlock()
        writeLock.unlock()
        guard first else { return }
        if wakeFDs[1] >= 0 {
            var byte: UInt8 = 1
            _ = write(wakeFDs[1], &byte, 1)
        }
        closeDescriptorsIfFinished()
    }

    private func closeDescriptorsIfFinished() {
        lock.lock()
        let finish = readerDone && closeRequested && !descriptorsClosed
        if finish { descriptorsClosed = true }
        lock.unlock()
        guard finish else { return }
        Glibc.close(readFD)
        if writeFD != readFD { Glibc.close(writeFD) }
        for fd in wakeFDs where fd >= 0 { Glibc.close(fd) }
    }

    deinit {
        lock.lock()
        let open = !descriptorsClosed
        lock.unlock()
        if open && !started {
            Glibc.close(readFD)
            if writeFD != readFD { Glibc.close(writeFD) }
            for fd in wakeFDs where fd >= 0 { Glibc.close(fd) }
        }
    }
}

/// `pipe` with both ends close-on-exec, so a spawned child never inherits them.
func makePipe(_ fds: inout [Int32]) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    setCloseOnExec(fds[0])
    setCloseOnExec(fds[1])
    return true
}

func setCloseOnExec(_ fd: Int32) {
    _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
}

extension POSIXError {
    /// The error for the current `errno`.
    static func current() -> POSIXError {
        POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
    }
}
