@testable import AttentionAnalysis
@testable import AttnServer
import JSONRPC
import XCTest

/// `FiniteGuard`'s refusals: the row pass's `NonFiniteLogits` becomes the same `-32009` as the
/// separate scan gave, and a result's non-finite number is named by its path.
final class FiniteGuardTests: XCTestCase {
    func testNonFiniteLogitsBecomeTheScansError() throws {
        for (value, name) in [(Float.nan, "NaN"), (.infinity, "+Inf"), (-.infinity, "-Inf")] {
            var logits = [Float](repeating: 0, count: 12)
            logits[7] = value
            var scanned: RPCError?
            do { try FiniteGuard.check(logits, quantity: "prunedLogits", point: 2) } catch let e as RPCError { scanned = e }
            var folded: RPCError?
            do {
                _ = try FiniteGuard.checking("prunedLogits", point: 2) { () throws -> Int in
                    throw NonFiniteLogits(index: 7, value: value)
                }
            } catch let e as RPCError { folded = e }
            let error = try XCTUnwrap(folded, name)
            XCTAssertEqual(error.code, .nonFiniteResult)
            XCTAssertEqual(error.data?["quantity"], "prunedLogits")
            XCTAssertEqual(error.data?["point"], 2)
            XCTAssertEqual(error.data?["value"], .string(name))
            XCTAssertEqual(error.message, scanned?.message)
            XCTAssertEqual(error.data, scanned?.data)
        }
        XCTAssertEqual(try FiniteGuard.checking("logits") { 5 }, 5)
        XCTAssertThrowsError(try FiniteGuard.checking("logits") { () throws -> Int in throw AnalysisError.cancelled }) {
            XCTAssertEqual($0 as? AnalysisError, .cancelled, "other errors pass through")
        }
    }

    func testResultCheckNamesThePathOfTheFirstNonFiniteNumber() throws {
        let finite: [String: JSONValue] = ["layers": [["heads": [["sinkMass": 0.5], ["sinkMass": 1]]]], "nll": .null]
        XCTAssertNoThrow(try FiniteGuard.check(result: finite))
        var bad = finite
        bad["layers"] = [["heads": [["sinkMass": 0.5]]], ["heads": [["sinkMass": 0.25], ["sinkMass": .double(-.infinity)]]]]
        XCTAssertThrowsError(try FiniteGuard.check(result: bad)) { error in
            let rpc = error as? RPCError
            XCTAssertEqual(rpc?.code, .nonFiniteResult)
            XCTAssertEqual(rpc?.data?["quantity"], "layers[1].heads[1].sinkMass")
            XCTAssertEqual(rpc?.data?["value"], "-Inf")
        }
    }
}
