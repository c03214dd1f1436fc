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
/// With `outputQueueLimit` set (what a server uses), `send` never blocks: frames go to a
/// queue that one writer thread drains in order. When the bytes queued and not yet written
/// would exceed the limit (a peer that does not read), the connection gives up on the peer:
/// the queue is dropped, `outputOverflowed` turns true, the socket is shut down and the reader
/// ends (its `onEnd` runs), so the owner cancels the peer's work. One frame larger than the
/// limit is still accepted when nothing else is queued.
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
    /// Queued output (with `outputQueueLimit`): frames not yet written, in order, guarded by `output`.
    public let outputQueueLimit: Int?
    private let output = NSCondition()
    private var outbox: [Data] = []
    private var outboxHead = 0
    /// Bytes of `outbox` plus the frame being written.
    private var queuedBytes = 0
    private var overflowed = false
    private var writerRunning = false
    private var writerDone = true

    /// - Parameters:
    ///   - readFD/writeFD: may be the same descriptor (a socket). The connection owns them and
    ///     closes them.
    ///   - outputQueueLimit: bytes of unwritten output allowed before the peer is given up
    ///     (see the type's documentation); nil writes on the sending thread (a client's choice).
    public init(readFD: Int32, writeFD: Int32, maxMessageBytes: Int = MessageFramer.defaultMaxMessageBytes, label: String = "connection",
                outputQueueLimit: Int? = nil) {
        Connection.ignoreSIGPIPE()
        self.readFD = readFD
        self.writeFD = writeFD
        self.maxMessageBytes = maxMessageBytes
        self.label = label
        self.outputQueueLimit = outputQueueLimit.map { max(1, $0) }
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
    /// - Parameter outputQueueLimit: given to the first connection (the "server" side).
    public static func pipePair(maxMessageBytes: Int = MessageFramer.defaultMaxMessageBytes,
                                outputQueueLimit: Int? = nil) throws -> (Connection, Connection) {
        var aToB: [Int32] = [-1, -1]
        var bToA: [Int32] = [-1, -1]
        guard makePipe(&aToB) else { throw POSIXError.current() }
        guard makePipe(&bToA) else {
            SystemCall.close(aToB[0]); SystemCall.close(aToB[1])
            throw POSIXError.current()
        }
        let a = Connection(readFD: bToA[0], writeFD: aToB[1], maxMessageBytes: maxMessageBytes, label: "pipe A",
                           outputQueueLimit: outputQueueLimit)
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

    /// Frames and writes one message body (or queues it, with `outputQueueLimit`); `false`
    /// when the connection is closed, the peer is gone, or the queue overflowed.
    @discardableResult
    public func send(body: Data) -> Bool {
        let frame = MessageFramer.frame(body)
        if let limit = outputQueueLimit { return enqueue(frame, limit: limit) }
        return writeNow(frame)
    }

    /// True once the output queue overflowed and the peer was given up.
    public var outputOverflowed: Bool {
        output.lock()
        defer { output.unlock() }
        return overflowed
    }

    /// Bytes queued and not yet written (0 without `outputQueueLimit`).
    public var queuedOutputBytes: Int {
        output.lock()
        defer { output.unlock() }
        return queuedBytes
    }

    /// Waits until every queued frame is written (or the peer was given up), at most
    /// `timeout` seconds; true when nothing is left queued. Immediate without a queue.
    @discardableResult
    public func waitUntilWritten(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        output.lock()
        defer { output.unlock() }
        while queuedBytes > 0 && !overflowed && !writerDone {
            if !output.wait(until: min(deadline, Date().addingTimeInterval(0.05))) && Date() >= deadline { break }
        }
        return queuedBytes == 0 || writerDone
    }

    private func enqueue(_ frame: Data, limit: Int) -> Bool {
        lock.lock()
        let usable = !closeRequested && !writeBroken
        lock.unlock()
        guard usable else { return false }
        output.lock()
        guard !overflowed else { output.unlock(); return false }
        if queuedBytes > 0 && queuedBytes + frame.count > limit {
            overflowed = true
            outbox.removeAll()
            outboxHead = 0
            output.broadcast()
            output.unlock()
            giveUpOnPeer()
            return false
        }
        outbox.append(frame)
        queuedBytes += frame.count
        let startWriter = !writerRunning
        if startWriter {
            writerRunning = true
            writerDone = false
        }
        output.signal()
        output.unlock()
        if startWriter { startWriterThread() }
        return true
    }

    /// The peer does not read: stop reading (so `onEnd` runs), refuse further writes, and shut
    /// the socket down so a write blocked on it returns.
    private func giveUpOnPeer() {
        lock.lock()
        writeBroken = true
        lock.unlock()
        _ = shutdown(writeFD, Int32(SHUT_RDWR))   // ENOTSOCK on a pipe: nothing to do
        wakeReader()
    }

    private func wakeReader() {
        if wakeFDs[1] >= 0 {
            var byte: UInt8 = 1
            _ = write(wakeFDs[1], &byte, 1)
        }
    }

    private func startWriterThread() {
        let thread = Thread { [self] in
            writeLoop()
            output.lock()
            writerDone = true
            output.unlock()
            closeDescriptorsIfFinished()
        }
        thread.name = "jsonrpc-writer \(label)"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Writes queued frames in order until the queue is empty and the connection is closing,
    /// or a write fails.
    private func writeLoop() {
        while true {
            output.lock()
            while outboxHead == outbox.count && !overflowed && !isClosing { output.wait(until: Date().addingTimeInterval(0.2)) }
            if overflowed || outboxHead == outbox.count {
                output.unlock()
                return   // overflowed, or closing with nothing left to write
            }
            let frame = outbox[outboxHead]
            outboxHead += 1
            if outboxHead > 64 && outboxHead * 2 > outbox.count {
                outbox.removeFirst(outboxHead)
                outboxHead = 0
            }
            output.unlock()
            let ok = writeNow(frame)
            output.lock()
            queuedBytes = overflowed ? 0 : max(0, queuedBytes - frame.count)
            output.broadcast()
            output.unlock()
            if !ok { return }
        }
    }

    private var isClosing: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closeRequested || writeBroken
    }

    /// Writes one frame whole on the calling thread, under `writeLock`.
    private func writeNow(_ frame: Data) -> Bool {
        writeLock.lock()
        defer { writeLock.unlock() }
        lock.lock()
        // A queued frame is still written after `close()` (the writer drains the queue).
        let usable = (outputQueueLimit != nil || !closeRequested) && !writeBroken
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
    /// closes the descriptors once the reader has stopped (and, with an output queue, once
    /// the frames queued before the close are written: a peer that reads none of them within
    /// 5 s has its socket shut down).
    public func close() {
        if outputQueueLimit != nil {
            lock.lock()
            let first = !closeRequested
            closeRequested = true
            if !started { readerDone = true }
            lock.unlock()
            guard first else { return }
            output.lock()
            output.broadcast()
            let draining = !writerDone
            output.unlock()
            wakeReader()
            if draining {
                DispatchQueue.global().asyncAfter(deadline: .now() + 5) { [self] in
                    output.lock()
                    let stuck = !writerDone
                    output.unlock()
                    if stuck { _ = shutdown(writeFD, Int32(SHUT_RDWR)) }
                }
            }
            closeDescriptorsIfFinished()
            return
        }
        writeLock.lock()  // wait for a frame being written to finish
        lock.lock()
        let first = !closeRequested
        closeRequested = true
        let wasStarted = started
        if !wasStarted { readerDone = true }
        lock.unlock()
        writeLock.unlock()
        guard first else { return }
        wakeReader()
        closeDescriptorsIfFinished()
    }

    private func closeDescriptorsIfFinished() {
        output.lock()
        let writerFinished = writerDone
        output.unlock()
        lock.lock()
        let finish = readerDone && closeRequested && writerFinished && !descriptorsClosed
        if finish { descriptorsClosed = true }
        lock.unlock()
        guard finish else { return }
        SystemCall.close(readFD)
        if writeFD != readFD { SystemCall.close(writeFD) }
        for fd in wakeFDs where fd >= 0 { SystemCall.close(fd) }
    }

    deinit {
        lock.lock()
        let open = !descriptorsClosed
        lock.unlock()
        if open && !started {
            SystemCall.close(readFD)
            if writeFD != readFD { SystemCall.close(writeFD) }
            for fd in wakeFDs where fd >= 0 { SystemCall.close(fd) }
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
