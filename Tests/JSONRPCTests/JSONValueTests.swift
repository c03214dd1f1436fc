import Foundation
import XCTest
@testable import JSONRPC

final class JSONValueTests: XCTestCase {
    func testIntegersStayIntegers() throws {
        XCTAssertEqual(try JSONParser.parse("[1, -7, 0, 1.0, 1e2, 2.5, 9223372036854775807, 9223372036854775808]"), .array([
            .int(1), .int(-7), .int(0), .double(1.0), .double(100), .double(2.5), .int(Int64.max), .double(9223372036854775808),
        ]))
        XCTAssertEqual(JSONWriter.string([.int(3), .double(3), .double(0.1)]), "[3,3.0,0.1]")
    }

    func testHugeLiteralBecomesInfinityNotACrash() throws {
        XCTAssertEqual(try JSONParser.parse("1e999"), .double(.infinity))
    }

    func testStringsEscapesAndSurrogates() throws {
        let parsed = try JSONParser.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#)
        XCTAssertEqual(parsed, .string("a\"b\\c/d\n\té😀"))
        let written = JSONWriter.string(.string("q\"\\\n\u{01}é"))
        XCTAssertEqual(written, #""q\"\\\n\u0001é""#)
        XCTAssertEqual(try JSONParser.parse(written), .string("q\"\\\n\u{01}é"))
    }

    func testInvalidDocumentsAreRefused() {
        let invalid = ["", "[1,]", "{\"a\":1,}", "NaN", "Infinity", "01", "1.", "-", "\"\\ud800\"", "\"\\udc00x\"",
                       "{'a':1}", "[1] 2", "\"tab\tinside\"", "tru", "{\"a\" 1}", "\"\\x\""]
        for text in invalid {
            XCTAssertThrowsError(try JSONParser.parse(text), text)
        }
        XCTAssertThrowsError(try JSONParser.parse(Data([0x22, 0xFF, 0x22])), "invalid UTF-8")
    }

    func testDeepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JSONParser.parse(deep))
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        XCTAssertNoThrow(try JSONParser.parse(fine))
    }

    func testWriterSortsKeysAndRoundTrips() throws {
        let value: JSONValue = ["b": [1, 2.5, "x", nil, true], "a": ["nested": false]]
        let text = JSONWriter.string(value)
        XCTAssertEqual(text, #"{"a":{"nested":false},"b":[1,2.5,"x",null,true]}"#)
        XCTAssertEqual(try JSONParser.parse(text), value)
    }

    func testCodableBridgeKeepsIntegers() throws {
        struct Result: Codable, Equatable { var tokens: [Int]; var nll: Double; var name: String? }
        let value = try JSONValue(encoding: Result(tokens: [50256, 3], nll: 2.5, name: nil))
        XCTAssertEqual(value, ["tokens": [50256, 3], "nll": 2.5])
        XCTAssertEqual(try value.decode(Result.self), Result(tokens: [50256, 3], nll: 2.5, name: nil))
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"i":4,"d":4.5,"b":true}"#.utf8))
        XCTAssertEqual(decoded, ["i": 4, "d": 4.5, "b": true])
    }
}
