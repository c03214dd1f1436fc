import Foundation
import XCTest
@testable import JSONRPC

final class ParamReaderTests: XCTestCase {
    /// Runs `body` and returns the -32602 error's data as (field, value, accepted).
    private func invalid(_ params: JSONValue?, file: StaticString = #filePath, line: UInt = #line,
                         _ body: (ParamReader) throws -> Void) -> (field: String, value: JSONValue, accepted: String)? {
        do {
            let reader = try ParamReader(params)
            try body(reader)
            try reader.finish()
            XCTFail("expected -32602", file: file, line: line)
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidParams, file: file, line: line)
            guard let field = error.data?["field"]?.stringValue, let value = error.data?["value"],
                  let accepted = error.data?["accepted"]?.stringValue else {
                XCTFail("data is not {field, value, accepted}: \(String(describing: error.data))", file: file, line: line)
                return nil
            }
            return (field, value, accepted)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
        return nil
    }

    func testDefaultsAndValidValues() throws {
        let reader = try ParamReader(["text": "hi", "blockSize": 8, "threshold": 1, "keepSink": true,
                                      "thresholds": [0.5, 1], "selection": "coverage", "tokens": nil])
        XCTAssertEqual(try reader.string("text"), "hi")
        XCTAssertEqual(try reader.int("blockSize", default: 4, range: 1...4096), 8)
        XCTAssertEqual(try reader.int("topK", default: 5, range: 1...Int.max), 5)
        XCTAssertEqual(try reader.double("threshold", default: 0.002, in: .openClosed(0, 1)), 1.0)
        XCTAssertEqual(try reader.bool("keepSink", default: false), true)
        XCTAssertEqual(try reader.bool("keepLocal", default: false), false)
        XCTAssertEqual(try reader.doubleArray("thresholds", default: [0.1], count: 1...64, element: .openClosed(0, 1)), [0.5, 1.0])
        XCTAssertEqual(try reader.string("selection", oneOf: ["threshold", "coverage", "topK"], default: "threshold"), "coverage")
        XCTAssertNil(try reader.optionalIntArray("tokens", count: 1...10), "null counts as absent")
        XCTAssertNoThrow(try reader.finish())
    }

    func testWrongTypes() {
        var data = invalid(["text": 5]) { _ = try $0.string("text") }
        XCTAssertEqual(data?.field, "text"); XCTAssertEqual(data?.value, 5); XCTAssertEqual(data?.accepted, "a string")
        data = invalid(["keepSink": "yes"]) { _ = try $0.bool("keepSink", default: false) }
        XCTAssertEqual(data?.field, "keepSink"); XCTAssertEqual(data?.value, "yes"); XCTAssertEqual(data?.accepted, "true or false")
        data = invalid(["blockSize": 4.5]) { _ = try $0.int("blockSize", default: 4, range: 1...4096) }
        XCTAssertEqual(data?.field, "blockSize"); XCTAssertEqual(data?.value, .double(4.5)); XCTAssertEqual(data?.accepted, "an integer in [1, 4096]")
    }

    /// §2: integer fields accept any number with an integral value (`16.0` was refused, issue 18 item 8).
    func testIntegralDoublesAreIntegers() throws {
        let reader = try ParamReader(JSONParser.parse(#"{"blockSize": 16.0, "topK": 1e2, "tokens": [1.0, 2, 3e0], "zero": -0.0}"#))
        XCTAssertEqual(try reader.int("blockSize", default: 4, range: 1...4096), 16)
        XCTAssertEqual(try reader.int("topK", default: 5, range: 1...1000), 100)
        XCTAssertEqual(try reader.intArray("tokens", count: 1...10, element: 0...50256), [1, 2, 3])
        XCTAssertEqual(try reader.int("zero"), 0)
        XCTAssertNoThrow(try reader.finish())
        // Still refused: a fraction, a range miss, a value past Int.
        XCTAssertEqual(invalid(["tokens": [1, 2.5]]) { _ = try $0.intArray("tokens", count: 1...10) }?.field, "tokens[1]")
        XCTAssertEqual(invalid(["blockSize": 4097.0]) { _ = try $0.int("blockSize", range: 1...4096) }?.value, .double(4097))
        XCTAssertEqual(invalid(["n": 1e19]) { _ = try $0.int("n") }?.accepted, "an integer")
    }

    /// `1e400` overflows a double: refused as "a finite number" in every numeric field, ranged
    /// or not, integer or real (it used to answer `value: null` with the field's usual range).
    func testOverflowingLiteralIsNotAFiniteNumber() throws {
        let params = try JSONParser.parse(#"{"threshold": 1e400, "blockSize": 1e400, "thresholds": [0.5, -1e400], "tokens": [1, 1e400]}"#)
        var data = invalid(params) { _ = try $0.double("threshold", in: .openClosed(0, 1)) }
        XCTAssertEqual(data?.field, "threshold"); XCTAssertEqual(data?.accepted, "a finite number"); XCTAssertEqual(data?.value, .null)
        data = invalid(params) { _ = try $0.int("blockSize", range: 1...4096) }
        XCTAssertEqual(data?.field, "blockSize"); XCTAssertEqual(data?.accepted, "a finite number")
        data = invalid(params) { _ = try $0.doubleArray("thresholds", count: 1...64, element: .openClosed(0, 1)) }
        XCTAssertEqual(data?.field, "thresholds[1]"); XCTAssertEqual(data?.accepted, "a finite number")
        data = invalid(params) { _ = try $0.intArray("tokens", count: 1...64, element: 0...50256) }
        XCTAssertEqual(data?.field, "tokens[1]"); XCTAssertEqual(data?.accepted, "a finite number")
        do {
            _ = try ParamReader(params).double("threshold", in: .openClosed(0, 1))
        } catch let error as RPCError {
            XCTAssertTrue(error.message.contains("not a finite number") && error.message.contains("(0, 1]"), error.message)
        }
    }

    func testMissingRequiredField() {
        let data = invalid([:]) { _ = try $0.string("id") }
        XCTAssertEqual(data?.field, "id"); XCTAssertEqual(data?.value, .null); XCTAssertEqual(data?.accepted, "a string (required)")
    }

    func testIntegerRanges() {
        var data = invalid(["blockSize": 4097]) { _ = try $0.int("blockSize", default: 4, range: 1...4096) }
        XCTAssertEqual(data?.value, 4097); XCTAssertEqual(data?.accepted, "an integer in [1, 4096]")
        data = invalid(["topK": 0]) { _ = try $0.int("topK", default: 5, range: 1...Int.max) }
        XCTAssertEqual(data?.field, "topK"); XCTAssertEqual(data?.accepted, "an integer ≥ 1")
    }

    func testOpenAndClosedEnds() throws {
        let data = invalid(["threshold": 0]) { _ = try $0.double("threshold", in: .openClosed(0, 1)) }
        XCTAssertEqual(data?.value, 0); XCTAssertEqual(data?.accepted, "a number in (0, 1]")
        XCTAssertEqual(try ParamReader(["t": 1]).double("t", in: .openClosed(0, 1)), 1)
        XCTAssertNotNil(invalid(["t": 1]) { _ = try $0.double("t", in: .open(0, 1)) })
        XCTAssertEqual(try ParamReader(["t": 0]).double("t", in: .closedOpen(0, 1)), 0)
        XCTAssertEqual(invalid(["t": -1e-9]) { _ = try $0.double("t", in: .atLeast(0)) }?.accepted, "a number ≥ 0")
        XCTAssertEqual(invalid(["t": 0]) { _ = try $0.double("t", in: .greaterThan(0)) }?.accepted, "a number > 0")
    }

    func testNaNAndInfinityRefused() throws {
        let infinite = try JSONParser.parse(#"{"seedEpsilon": 1e999, "thresholds": [0.1, -1e999]}"#)
        var data = invalid(infinite) { _ = try $0.double("seedEpsilon", default: 1e-12); _ = try $0.optionalDoubleArray("thresholds", count: 1...64) }
        XCTAssertEqual(data?.field, "seedEpsilon"); XCTAssertEqual(data?.accepted, "a finite number")
        data = invalid(infinite) { _ = try $0.optionalDoubleArray("thresholds", count: 1...64); _ = $0.raw("seedEpsilon") }
        XCTAssertEqual(data?.field, "thresholds[1]")
        XCTAssertFalse(NumberInterval.finite.contains(.nan))
    }

    func testArraysLengthAndElements() {
        var data = invalid(["thresholds": []]) { _ = try $0.doubleArray("thresholds", default: [0.1], count: 1...64, element: .openClosed(0, 1)) }
        XCTAssertEqual(data?.field, "thresholds"); XCTAssertEqual(data?.value, [])
        XCTAssertEqual(data?.accepted, "an array of 1 to 64 numbers, each a number in (0, 1]")
        let long = JSONValue.array(Array(repeating: .double(0.5), count: 65))
        data = invalid(["thresholds": long]) { _ = try $0.doubleArray("thresholds", default: [0.1], count: 1...64, element: .openClosed(0, 1)) }
        XCTAssertEqual(data?.field, "thresholds")
        data = invalid(["thresholds": [0.1, 0.2, 1.5]]) { _ = try $0.doubleArray("thresholds", default: [0.1], count: 1...64, element: .openClosed(0, 1)) }
        XCTAssertEqual(data?.field, "thresholds[2]"); XCTAssertEqual(data?.value, 1.5); XCTAssertEqual(data?.accepted, "a number in (0, 1]")
        data = invalid(["tokens": [1, "2"]]) { _ = try $0.intArray("tokens", count: 1...1024, element: 0...50256) }
        XCTAssertEqual(data?.field, "tokens[1]"); XCTAssertEqual(data?.value, "2"); XCTAssertEqual(data?.accepted, "an integer in [0, 50256]")
        data = invalid(["tokens": "1 2"]) { _ = try $0.intArray("tokens", count: 1...1024, element: 0...50256) }
        XCTAssertEqual(data?.field, "tokens")
    }

    func testOneOfFields() throws {
        XCTAssertEqual(try ParamReader(["tokens": [1]]).oneOf(["text", "tokens"]), "tokens")
        var data = invalid(["text": "a", "tokens": [1]]) { _ = try $0.oneOf(["text", "tokens"]) }
        XCTAssertEqual(data?.field, "tokens"); XCTAssertEqual(data?.accepted, "exactly one of `text`, `tokens`")
        data = invalid([:]) { _ = try $0.oneOf(["text", "tokens"]) }
        XCTAssertEqual(data?.field, "text|tokens"); XCTAssertEqual(data?.value, .null)
    }

    func testChoice() {
        let data = invalid(["metric": "kl"]) { _ = try $0.string("metric", oneOf: ["attentionKL", "seedKL", "prunedMass"], default: "attentionKL") }
        XCTAssertEqual(data?.field, "metric"); XCTAssertEqual(data?.value, "kl")
        XCTAssertEqual(data?.accepted, #"one of "attentionKL", "seedKL", "prunedMass""#)
    }

    func testUnknownFieldsRefusedByFinish() {
        let data = invalid(["text": "a", "thresold": 0.1]) { _ = try $0.string("text"); _ = try $0.double("threshold", default: 0.1) }
        XCTAssertEqual(data?.field, "thresold"); XCTAssertEqual(data?.value, 0.1)
        XCTAssertEqual(data?.accepted, "a known field: text, threshold")
        XCTAssertEqual(invalid(["x": 1]) { _ in }?.accepted, "no parameters")
    }

    func testNestedObjectPaths() {
        var data = invalid(["model": ["path": 3]]) { reader in
            _ = try reader.optionalObject("model")?.optionalString("path")
        }
        XCTAssertEqual(data?.field, "model.path")
        data = invalid(["model": ["path": "/m", "revision": "x"]]) { reader in
            _ = try reader.optionalObject("model")?.optionalString("path")
        }
        XCTAssertEqual(data?.field, "model.revision", "nested unknown fields are refused by finish()")
        data = invalid(["model": "gpt2"]) { _ = try $0.optionalObject("model") }
        XCTAssertEqual(data?.field, "model"); XCTAssertEqual(data?.accepted, "an object")
    }

    func testPositionalParamsRefused() {
        let data = invalid([1, 2]) { _ in }
        XCTAssertEqual(data?.field, "params"); XCTAssertEqual(data?.accepted, "an object of named parameters")
    }
}
