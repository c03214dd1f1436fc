import Foundation
import XCTest
@testable import JSONRPC

final class MessageFramerTests: XCTestCase {
    private let first = Data(#"{"jsonrpc":"2.0","id":1,"method":"a"}"#.utf8)
    private let second = Data(#"{"jsonrpc":"2.0","method":"bé","params":{"x":"\r\n\r\n"}}"#.utf8)

    private func frame(_ body: Data, header: String? = nil) -> Data {
        var data = Data((header ?? "Content-Length: \(body.count)\r\n\r\n").utf8)
        data.append(body)
        return data
    }

    private func feed(_ framer: inout MessageFramer, _ chunks: [Data]) -> [FramerEvent] {
        chunks.flatMap { framer.consume($0) }
    }

    func testEverySplitPointOfTwoMessages() {
        let stream = frame(first) + frame(second)
        for split in 0...stream.count {
            var framer = MessageFramer()
            let events = feed(&framer, [stream.prefix(split), stream.suffix(from: split)])
            XCTAssertEqual(events, [.message(first), .message(second)], "split at byte \(split)")
            XCTAssertTrue(framer.isIdle)
        }
    }

    func testOneByteAtATime() {
        let stream = frame(first) + frame(second)
        var framer = MessageFramer()
        let events = feed(&framer, stream.map { Data([$0]) })
        XCTAssertEqual(events, [.message(first), .message(second)])
    }

    func testSeveralMessagesInOneRead() {
        var framer = MessageFramer()
        let events = framer.consume(frame(first) + frame(second) + frame(first))
        XCTAssertEqual(events, [.message(first), .message(second), .message(first)])
    }

    func testBodySplitAcrossManyReads() {
        var framer = MessageFramer()
        let stream = frame(second)
        var events: [FramerEvent] = []
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + 7)
            events += framer.consume(stream.subdata(in: offset..<end))
            offset = end
        }
        XCTAssertEqual(events, [.message(second)])
    }

    func testHeaderNameIsCaseInsensitiveAndContentTypeAndOtherHeadersAccepted() {
        var framer = MessageFramer()
        let headers = [
            "content-length: \(first.count)\r\n\r\n",
            "CONTENT-LENGTH:\(first.count)\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n",
            "Content-Type: application/json\r\nX-Trace: 7\r\nContent-Length:   \(first.count)  \r\n\r\n",
        ]
        for header in headers {
            XCTAssertEqual(framer.consume(frame(first, header: header)), [.message(first)], header)
        }
    }

    func testMissingContentLengthIsReportedThenNextMessageRead() {
        var framer = MessageFramer()
        let events = framer.consume(frame(first, header: "Content-Type: application/json\r\n\r\n") + frame(second))
        XCTAssertEqual(events.count, 2)
        guard case .malformedHeader(let reason) = events[0] else { return XCTFail("\(events)") }
        XCTAssertTrue(reason.contains("missing Content-Length"), reason)
        XCTAssertEqual(events[1], .message(second))
    }

    func testBadHeadersThenResynchronise() {
        let bad: [(String, String)] = [
            ("Content-Length: abc\r\n\r\n", "not a non-negative integer"),
            ("Content-Length: -5\r\n\r\n", "not a non-negative integer"),
            ("no colon here\r\n\r\n", "without ':'"),
            ("Content-Length: 5\n\n", "bare LF"),
            ("Content-Length: 5\r\nContent-Length: 6\r\n\r\n", "conflicting"),
            (String(repeating: "x", count: MessageFramer.maxHeaderBytes + 1), "longer than 8192"),
        ]
        for (header, expected) in bad {
            for chunked in [false, true] {
                var framer = MessageFramer()
                let stream = Data(header.utf8) + Data("{garbage body}".utf8) + frame(second)
                let events = chunked ? feed(&framer, stream.map { Data([$0]) }) : framer.consume(stream)
                guard events.count == 2, case .malformedHeader(let reason) = events[0] else {
                    XCTFail("\(header.prefix(40).debugDescription): \(events)")
                    continue
                }
                XCTAssertTrue(reason.contains(expected), "\(reason) should mention \(expected)")
                XCTAssertEqual(events[1], .message(second), header.prefix(40).debugDescription)
            }
        }
    }

    /// §1: a header section over 8 KiB before its blank line is malformed, however it is split
    /// into lines (issue 18: 120 KB of short headers used to be accepted); 8,192 bytes exactly is not.
    func testHeaderSectionOverEightKiBIsMalformed() {
        // A valid length, then 30 lines of "X-Pad: " + 3,993 bytes + CRLF = 4,002 bytes: 120 KB,
        // each line and the line count inside the old per-line limits (4,096 bytes, 32 lines).
        let pad = "X-Pad: " + String(repeating: "p", count: 3_993) + "\r\n"
        let huge = "Content-Length: \(first.count)\r\n" + String(repeating: pad, count: 30) + "\r\n"
        for chunked in [false, true] {
            var framer = MessageFramer()
            let stream = Data(huge.utf8) + first + frame(second)
            let events = chunked ? feed(&framer, stride(from: 0, to: stream.count, by: 7).map { stream[$0..<min($0 + 7, stream.count)] })
                                 : framer.consume(stream)
            guard case .malformedHeader(let reason)? = events.first else { return XCTFail("\(events.prefix(2))") }
            XCTAssertTrue(reason.contains("longer than 8192 bytes"), reason)
            XCTAssertEqual(events.filter { if case .malformedHeader = $0 { return true } else { return false } }.count, 1,
                           "one error for the whole section")
            XCTAssertEqual(events.last, .message(second), "resynchronised at the next Content-Length")
            XCTAssertFalse(events.contains(.message(first)), "the body of the malformed frame is not a message")
        }
        // Exactly at the limit: header lines with their CRLFs make 8,192 bytes.
        let length = "Content-Length: \(first.count)\r\n"
        let filler = 8192 - length.utf8.count - "X-Fill: \r\n".utf8.count
        let atLimit = length + "X-Fill: " + String(repeating: "f", count: filler) + "\r\n\r\n"
        XCTAssertEqual(atLimit.utf8.count, 8192 + 2)
        var framer = MessageFramer()
        XCTAssertEqual(framer.consume(Data(atLimit.utf8) + first), [.message(first)])
        var overByOne = MessageFramer()
        let over = length + "X-Fill: " + String(repeating: "f", count: filler + 1) + "\r\n\r\n"
        guard case .malformedHeader? = overByOne.consume(Data(over.utf8) + first).first else { return XCTFail("8,193 bytes accepted") }
    }

    func testOversizeMessageIsSkippedWithoutBuffering() {
        var framer = MessageFramer(maxMessageBytes: 16)
        let big = Data(repeating: UInt8(ascii: "a"), count: 10_000)
        var events = framer.consume(Data("Content-Length: 10000\r\n\r\n".utf8) + big.prefix(5_000))
        XCTAssertEqual(events, [.messageTooLarge(declaredBytes: 10_000, limitBytes: 16)])
        XCTAssertEqual(framer.bufferedByteCount, 0, "skipped bytes must not be stored")
        let small = Data(#"{"a":1}"#.utf8)
        events = framer.consume(big.suffix(5_000) + frame(small))
        XCTAssertEqual(events, [.message(small)])
    }

    func testBodyAtTheLimitIsAccepted() {
        let body = Data(#"{"ab":12}"#.utf8)
        var framer = MessageFramer(maxMessageBytes: body.count)
        XCTAssertEqual(framer.consume(frame(body)), [.message(body)])
    }

    func testZeroLengthBodyIsAnEmptyMessage() {
        var framer = MessageFramer()
        XCTAssertEqual(framer.consume(Data("Content-Length: 0\r\n\r\n".utf8) + frame(first)), [.message(Data()), .message(first)])
    }

    func testFrameWritesContentLengthInBytes() {
        let body = Data("{\"é\":1}".utf8)  // 8 bytes: { " é(2 bytes) " : 1 }
        XCTAssertEqual(String(decoding: MessageFramer.frame(body), as: UTF8.self), "Content-Length: 8\r\n\r\n{\"é\":1}")
    }
}
