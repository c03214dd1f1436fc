import Foundation
import XCTest
@testable import RunStore

final class CanonicalParamsTests: XCTestCase {
    let sweepDefaults = #"{"selection":"threshold","thresholds":[0.01,0.005],"blockSizes":[16,32],"keepSink":false,"seedEpsilon":1e-12}"#

    func canonical(_ params: String, defaults: String = "{}") throws -> String {
        try CanonicalParams(Data(params.utf8), defaults: Data(defaults.utf8)).json
    }

    func testSortsKeysAndPrintsWithoutWhitespace() throws {
        XCTAssertEqual(try canonical(#"{ "b": 1, "a": [true, null, "x"] }"#), #"{"a":[true,null,"x"],"b":1}"#)
    }

    func testReorderedParamsGiveTheSameText() throws {
        XCTAssertEqual(try canonical(#"{"thresholds":[0.01],"blockSizes":[32],"keepSink":true}"#, defaults: sweepDefaults),
                       try canonical(#"{"keepSink":true,"blockSizes":[32],"thresholds":[0.01]}"#, defaults: sweepDefaults))
    }

    func testDefaultsSpelledOutGiveTheSameText() throws {
        let implicit = try canonical(#"{"thresholds":[0.002]}"#, defaults: sweepDefaults)
        let explicit = try canonical(
            #"{"thresholds":[0.002],"selection":"threshold","blockSizes":[16,32],"keepSink":false,"seedEpsilon":1e-12}"#,
            defaults: sweepDefaults)
        XCTAssertEqual(implicit, explicit)
        XCTAssertEqual(implicit, #"{"blockSizes":[16,32],"keepSink":false,"seedEpsilon":1e-12,"selection":"threshold","thresholds":[0.002]}"#)
    }

    func testNumbersCompareByValue() throws {
        XCTAssertEqual(try canonical(#"{"t":0.1,"b":16,"e":0.000000000001}"#), try canonical(#"{"t":1e-1,"b":16.0,"e":1E-12}"#))
        XCTAssertEqual(try canonical(#"{"t":0.1,"b":16.0}"#), #"{"b":16,"t":0.1}"#)
    }

    func testNonSemanticFieldsAndNullsAreLeftOut() throws {
        let plain = try canonical(#"{"blockSize":32}"#)
        XCTAssertEqual(try canonical(#"{"blockSize":32,"force":true,"workDoneToken":"p1","exportPath":"/tmp/a","text":"hi","tokens":[1],"segmentSize":null}"#), plain)
    }

    func testDifferentValuesGiveDifferentTexts() throws {
        XCTAssertNotEqual(try canonical(#"{"thresholds":[0.01]}"#, defaults: sweepDefaults),
                          try canonical(#"{"thresholds":[0.02]}"#, defaults: sweepDefaults))
        XCTAssertNotEqual(try canonical(#"{"thresholds":[0.01,0.005]}"#), try canonical(#"{"thresholds":[0.005,0.01]}"#))
        XCTAssertNotEqual(try canonical(#"{"keepSink":true}"#), try canonical(#"{"keepSink":1}"#))
        XCTAssertNotEqual(try canonical(#"{"k":"1"}"#), try canonical(#"{"k":1}"#))
    }

    func testStringsAreEscaped() throws {
        XCTAssertEqual(try canonical("{\"s\":\"a\\\"b\\\\c\\n\\u0001é\"}"), "{\"s\":\"a\\\"b\\\\c\\n\\u0001é\"}")
    }

    func testDictionaryFormMatchesDataForm() throws {
        let fromDictionary = try CanonicalParams(["thresholds": [0.1, 0.05], "keepSink": true, "blockSize": 16, "force": true],
                                                 defaults: ["keepLocal": false])
        XCTAssertEqual(fromDictionary.json, try canonical(#"{"blockSize":16,"keepLocal":false,"keepSink":true,"thresholds":[1e-1,0.05]}"#))
    }

    func testNonObjectsAreRejectedWithTheFieldName() {
        assertThrows(try CanonicalParams(Data("[1,2]".utf8))) {
            if case .invalidArgument(field: "params", _, accepted: "a JSON object") = $0 { return true }
            return false
        }
        assertThrows(try CanonicalParams(Data("{}".utf8), defaults: Data("{oops".utf8))) {
            if case .invalidArgument(field: "defaults", _, _) = $0 { return true }
            return false
        }
    }
}
