@testable import AttnMCP
import Foundation
import XCTest

/// MCP's stdio framing: one JSON message per line, fed in arbitrary splits.
final class LineFramerTests: XCTestCase {
    private func lines(_ events: [LineFramer.Event]) -> [String] {
        events.map { event in
            switch event {
            case .line(let data): return String(decoding: data, as: UTF8.self)
            case .tooLong(let limit): return "<too long \(limit)>"
            }
        }
    }

    func testSeveralMessagesInOneRead() {
        var framer = LineFramer(maxLineBytes: 100)
        XCTAssertEqual(lines(framer.consume(Data("{\"a\":1}\n{\"b\":2}\n{\"c\"".utf8))), ["{\"a\":1}", "{\"b\":2}"])
        XCTAssertEqual(lines(framer.consume(Data(":3}\n".utf8))), ["{\"c\":3}"])
    }

    func testByteByByteSplitGivesTheSameLines() {
        let stream = Data("{\"x\":\"é\"}\r\n\n   \n{\"y\":[1,2]}\n".utf8)
        var framer = LineFramer(maxLineBytes: 100)
        var all: [LineFramer.Event] = []
        for byte in stream { all += framer.consume(Data([byte])) }
        // `\r` of a CRLF ending is dropped; blank and whitespace-only lines are skipped.
        XCTAssertEqual(lines(all), ["{\"x\":\"é\"}", "{\"y\":[1,2]}"])
    }

    func testALineOverTheLimitIsReportedOnceAndSkippedToItsNewline() {
        var framer = LineFramer(maxLineBytes: 8)
        var all = framer.consume(Data("{\"long\":".utf8))
        all += framer.consume(Data("\"aaaaaaaaaaaaaaaa\"}".utf8))
        all += framer.consume(Data("tail\n{\"ok\":1}\n".utf8))
        XCTAssertEqual(lines(all), ["<too long 8>", "{\"ok\":1}"])
    }

    func testALineOfExactlyTheLimitPasses() {
        var framer = LineFramer(maxLineBytes: 8)
        XCTAssertEqual(lines(framer.consume(Data("12345678\r\n123456789\n".utf8))), ["12345678", "<too long 8>"])
    }
}
