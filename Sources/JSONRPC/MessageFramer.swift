import Foundation

/// What the framer found in the byte stream.
public enum FramerEvent: Equatable, Sendable {
    /// One complete message body: exactly `Content-Length` bytes (not yet parsed as JSON).
    case message(Data)
    /// A header block that cannot be read. The server answers an error with `id: null`; the
    /// framer skips bytes until the next `Content-Length` header and reads on from there.
    case malformedHeader(reason: String)
    /// A header declared a body over the size limit. The body's bytes are skipped as they
    /// arrive and never stored; framing resumes right after them.
    case messageTooLarge(declaredBytes: Int, limitBytes: Int)
}

/// The LSP base-protocol framing state machine: `Header: value\r\n`… `\r\n` then the body.
///
/// - `Content-Length` (header name case-insensitive) is required; `Content-Type` is optional
///   and any value is accepted; other headers are skipped.
/// - Bytes may arrive in any split: one byte at a time, several messages in one read, a body
///   across many reads. The framer is byte-exact: a body is exactly the declared length.
/// - A malformed header (line without `:`, bare LF, unreadable or conflicting length, missing
///   `Content-Length`, a header section over `maxHeaderBytes` before its blank line) yields
///   `.malformedHeader` and a search for the next `Content-Length` (case-insensitive) in the
///   following bytes (Protocol/README.md §1).
///
/// Value type; not thread-safe (one reader thread owns it).
public struct MessageFramer {
    /// 64 MiB, the default limit on one message body, in bytes.
    public static let defaultMaxMessageBytes = 64 << 20
    /// Longest accepted header section, in bytes: every header line with its CRLF, before the
    /// blank line that ends the section (8 KiB, Protocol/README.md §1).
    public static let maxHeaderBytes = 8192

    /// Largest accepted body, in bytes.
    public let maxMessageBytes: Int

    private enum State {
        case header
        case body(remaining: Int)
        case skipping(remaining: Int)
        case resync(matched: Int)
    }

    private var state: State = .header
    private var line: [UInt8] = []
    private var lineCount = 0
    /// Bytes of the current header section read so far (complete lines with their CRLF).
    private var headerBytes = 0
    private var contentLength: Int?
    private var body = Data()

    private static let resyncPattern = Array("content-length".utf8)

    public init(maxMessageBytes: Int = MessageFramer.defaultMaxMessageBytes) {
        self.maxMessageBytes = max(0, maxMessageBytes)
    }

    /// True when no partial header or body is pending (a clean place for the stream to end).
    public var isIdle: Bool {
        if case .header = state { return line.isEmpty && lineCount == 0 }
        return false
    }

    /// Bytes currently held (partial header line plus partial body). An oversized message
    /// being skipped holds none: its bytes are dropped as they arrive.
    public var bufferedByteCount: Int { line.count + body.count }

    /// Wraps a body in an LSP frame: `Content-Length: N\r\n\r\n` + body.
    public static func frame(_ body: Data) -> Data {
        var framed = Data("Content-Length: \(body.count)\r\n\r\n".utf8)
        framed.append(body)
        return framed
    }

    public mutating func consume(_ data: Data) -> [FramerEvent] {
        data.withUnsafeBytes { consume($0) }
    }

    /// Feeds the next bytes of the stream; returns the events they complete, in order.
    public mutating func consume(_ raw: UnsafeRawBufferPointer) -> [FramerEvent] {
        let bytes = raw.bindMemory(to: UInt8.self)
        var events: [FramerEvent] = []
        var index = 0
        while index < bytes.count {
            switch state {
            case .header:
                let byte = bytes[index]
                index += 1
                if let event = acceptHeaderByte(byte) { events.append(event) }
            case .body(let remaining):
                let take = min(remaining, bytes.count - index)
                body.append(UnsafeBufferPointer(rebasing: bytes[index..<index + take]))
                index += take
                if take == remaining {
                    events.append(.message(body))
                    body = Data()
                    resetHeader()
                } else {
                    state = .body(remaining: remaining - take)
                }
            case .skipping(let remaining):
                let take = min(remaining, bytes.count - index)
                index += take
                if take == remaining { resetHeader() } else { state = .skipping(remaining: remaining - take) }
            case .resync(var matched):
                let pattern = MessageFramer.resyncPattern
                while index < bytes.count, matched < pattern.count {
                    let lowered = asciiLowercase(bytes[index])
                    index += 1
                    if lowered == pattern[matched] {
                        matched += 1
                    } else {
                        matched = lowered == pattern[0] ? 1 : 0
                    }
                }
                if matched == pattern.count {
                    resetHeader()
                    line = Array("Content-Length".utf8)
                } else {
                    state = .resync(matched: matched)
                }
            }
        }
        return events
    }

    private func asciiLowercase(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte + 0x20 : byte
    }

    private mutating func resetHeader() {
        state = .header
        line.removeAll(keepingCapacity: true)
        lineCount = 0
        headerBytes = 0
        contentLength = nil
    }

    private mutating func malformed(_ reason: String) -> FramerEvent {
        line.removeAll(keepingCapacity: true)
        lineCount = 0
        headerBytes = 0
        contentLength = nil
        state = .resync(matched: 0)
        return .malformedHeader(reason: reason)
    }

    private mutating func acceptHeaderByte(_ byte: UInt8) -> FramerEvent? {
        guard byte == 0x0A else {
            line.append(byte)
            // The blank line's CR may still come: a section is over the limit once its bytes
            // so far, other than a lone pending CR, exceed it.
            if headerBytes + line.count > MessageFramer.maxHeaderBytes + (line == [0x0D] ? 1 : 0) {
                return malformed("header section longer than \(MessageFramer.maxHeaderBytes) bytes before its blank line")
            }
            return nil
        }
        guard line.last == 0x0D else { return malformed("header line ends with a bare LF; expected CRLF") }
        line.removeLast()
        if line.isEmpty { return endOfHeader() }
        lineCount += 1
        headerBytes += line.count + 2
        if headerBytes > MessageFramer.maxHeaderBytes {
            return malformed("header section longer than \(MessageFramer.maxHeaderBytes) bytes before its blank line")
        }
        let text = String(decoding: line, as: UTF8.self)
        line.removeAll(keepingCapacity: true)
        guard let colon = text.firstIndex(of: ":") else {
            return malformed("header line without ':': \(text.prefix(80).debugDescription)")
        }
        let name = text[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if name == "content-length" {
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(value) else {
                return malformed("Content-Length is not a non-negative integer: \(value.prefix(40).debugDescription)")
            }
            if let earlier = contentLength, earlier != length {
                return malformed("conflicting Content-Length headers: \(earlier) and \(length)")
            }
            contentLength = length
        }
        // Content-Type (any value) and unknown headers are skipped.
        return nil
    }

    private mutating func endOfHeader() -> FramerEvent? {
        guard let length = contentLength else {
            return malformed("missing Content-Length header")
        }
        if length > maxMessageBytes {
            line.removeAll(keepingCapacity: true)
            lineCount = 0
            contentLength = nil
            state = .skipping(remaining: length)
            return .messageTooLarge(declaredBytes: length, limitBytes: maxMessageBytes)
        }
        if length == 0 {
            resetHeader()
            return .message(Data())
        }
        body = Data()
        body.reserveCapacity(min(length, 1 << 20))
        state = .body(remaining: length)
        return nil
    }
}
