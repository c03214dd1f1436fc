import Foundation
import JSONRPC
import XCTest

/// Megabyte texts through the real daemon: an analysis refuses an over-long text after
/// tokenising only past the context; `tokenize` of megabytes answers in time linear in them.
final class LongInputDaemonTests: XCTestCase {
    private var client: RPCClient!

    override func setUpWithError() throws {
        client = try DaemonSupport.spawn(["--model", DaemonSupport.model("tiny-peaked"), "--no-history"])
    }

    override func tearDown() {
        if let client { DaemonSupport.stop(client) }
    }

    func testOverLongTextIsRefusedAfterTokenisingJustPastTheContext() throws {
        let text = String(repeating: "Attention is all you need, or so they say. ", count: 200_000)   // 8.6 MB
        for (method, params) in [("profileAttention", ["text": JSONValue.string(text)]),
                                 ("pruneSweep", ["texts": ["short", .string(text)]])] {
            let started = Date()
            let error = try XCTUnwrap(DaemonSupport.error(client, method, .object(params)))
            XCTAssertEqual(error.code, .invalidParams)
            let field = method == "pruneSweep" ? "texts[1]" : "text"
            XCTAssertEqual(error.data?["field"], .string(field))
            XCTAssertEqual(error.data?["value"], 129, "context 128 + 1: tokenising stopped there")
            XCTAssertTrue(error.message.contains("more than 128 tokens long (tokenising stopped at token 129, byte "), error.message)
            XCTAssertTrue(error.message.contains(" of \(text.utf8.count))"), error.message)
            XCTAssertLessThan(Date().timeIntervalSince(started), 20, "\(method) took too long to refuse")
        }
        // Within the context the same text prefix is analysed.
        let ok = try client.request("profileAttention", params: ["text": "Attention is all you need, or so they say."])
        XCTAssertNotNil(ok["layers"])
    }
}

extension LongInputDaemonTests {
    /// `tokenize` of 0.1 MB and 0.4 MB of prose: the time grows about linearly (it was quadratic:
    /// 1, 2, 4 MB took 1.4, 4.3, 18.5 s).
    func testTokenizeScalesLinearly() throws {
        var seconds: [Double] = []
        for copies in [2_400, 9_600] {
            let text = String(repeating: "Attention is all you need, or so they say. ", count: copies)
            let started = Date()
            let r = try client.request("tokenize", params: ["text": .string(text)], timeout: 120)
            seconds.append(Date().timeIntervalSince(started))
            XCTAssertEqual(r["offsets"]?.array.last?.array.last?.intValue, text.utf8.count)
        }
        print("tokenize 0.1 MB: \(seconds[0]) s, 0.4 MB: \(seconds[1]) s")
        XCTAssertLessThan(seconds[1], 8 * max(seconds[0], 0.05), "4× the text took \(seconds[1] / seconds[0])× the time")
    }
}
